import type { CalicoDatastore } from '../resources.ts';
import { familyOf, type IpFamily } from './addresses.ts';
import { byKey } from './service-routes.ts';

// The IPAM blocks affine to a node, which it originates and aggregates (bird_aggr.cfg). confd
// ignores pending affinities until they are confirmed, and deleted ones.

export interface AffineBlock {
  readonly cidr: string;
  /** "" for an affinity without a state (implicitly confirmed), else its state. */
  readonly state: string;
}

export function nodeBlocks(datastore: CalicoDatastore, node: string, family: IpFamily): AffineBlock[] {
  const blocks = new Map<string, AffineBlock>();
  for (const affinity of datastore.blockAffinities) {
    const { spec } = affinity;
    if (spec.node !== node || familyOf(spec.cidr) !== family) continue;
    if (spec.state === 'pending' || spec.deleted === true || spec.deleted === 'true') continue;
    blocks.set(spec.cidr, { cidr: spec.cidr, state: spec.state ?? '' });
  }
  return byKey([...blocks.keys()]).map((cidr) => blocks.get(cidr)!);
}
