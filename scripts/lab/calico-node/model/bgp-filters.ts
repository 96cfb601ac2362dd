import { createHash } from 'node:crypto';
import type { BGPFilter, BGPFilterRule, CalicoDatastore } from '../resources.ts';
import type { IpFamily } from './addresses.ts';

// BGPFilters become BIRD functions, one per direction and IP family that has rules
// ('bgp_<name>_importFilterV4' ...), which the peerings that name the filter call. BIRD symbols
// are at most 64 characters: longer filter names are cut and given a hash suffix
// (template_funcs.go, truncateAndHashName). A function whose rules distinguish iBGP from eBGP
// peers takes the caller's "same AS" flag.

const MAX_SYMBOL = 64;
const BOILERPLATE = 'bgp__importFilterV4'.length;

export type FilterDirection = 'import' | 'export';

export interface FilterFunction {
  readonly filter: string;
  readonly direction: FilterDirection;
  readonly symbol: string;
  readonly rules: readonly BGPFilterRule[];
  readonly takesPeerType: boolean;
}

export function truncateAndHashName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16).toUpperCase();
  return `${name.slice(0, maxLength - hash.length - 1)}_${hash}`;
}

function rulesOf(filter: BGPFilter, direction: FilterDirection, family: IpFamily): readonly BGPFilterRule[] {
  const spec = filter.spec;
  if (direction === 'import') return (family === 4 ? spec.importV4 : spec.importV6) ?? [];
  return (family === 4 ? spec.exportV4 : spec.exportV6) ?? [];
}

export function filterFunction(filter: BGPFilter, direction: FilterDirection, family: IpFamily): FilterFunction | undefined {
  const rules = rulesOf(filter, direction, family);
  if (rules.length === 0) return undefined;
  const symbol = `bgp_${truncateAndHashName(filter.metadata.name, MAX_SYMBOL - BOILERPLATE)}_${direction}FilterV${family}`;
  return { filter: filter.metadata.name, direction, symbol, rules, takesPeerType: rules.some((r) => r.peerType !== undefined) };
}

/** The filters that have rules for this family, in name order, with their functions. */
export function filterFunctions(datastore: CalicoDatastore, family: IpFamily): Array<{ filter: string; functions: FilterFunction[] }> {
  return [...datastore.bgpFilters]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((f) => ({
      filter: f.metadata.name,
      functions: (['import', 'export'] as const).map((d) => filterFunction(f, d, family)).filter((fn): fn is FilterFunction => fn !== undefined),
    }))
    .filter((f) => f.functions.length > 0);
}
