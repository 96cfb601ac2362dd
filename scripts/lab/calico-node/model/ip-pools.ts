import type { CalicoDatastore, IPPool } from '../resources.ts';
import { familyOf, type IpFamily } from './addresses.ts';
import type { BgpSettings } from './bgp-configuration.ts';

// The IP pools as filter statements (bgp_processor.go, processIPPools): which pool routes are
// exported to peers, and how routes learned for them are programmed into the kernel. Each list
// is sorted as text, as confd sorts the statements it generates.

export type PoolAction = 'accept' | 'reject';

export interface PoolStatement {
  readonly cidr: string;
  readonly action: PoolAction;
  /** BIRD statements before the action (the IP-in-IP tunnel device, for the kernel). */
  readonly extra: string;
  readonly comment: string;
}

export interface PoolFilters {
  /** Pools with BGP export disabled: rejected before anything else is exported. */
  readonly exportRejected: readonly PoolStatement[];
  /** The other pools: exported after the block aggregation and service routes. */
  readonly exportAccepted: readonly PoolStatement[];
  readonly kernel: readonly PoolStatement[];
}

export function poolStatementText(s: PoolStatement): string {
  const body = s.extra ? `${s.extra} ${s.action};` : `${s.action};`;
  return `  if (net ~ ${s.cidr}) then { ${body} }${s.comment ? ` # ${s.comment}` : ''}`;
}

function sorted(statements: PoolStatement[]): PoolStatement[] {
  return statements.sort((a, b) => {
    const x = poolStatementText(a);
    const y = poolStatementText(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function tunnelStatement(pool: IPPool, localSubnet: string): string {
  switch (pool.spec.ipipMode) {
    case 'Always':
      return 'krt_tunnel="tunl0";';
    case 'CrossSubnet':
      return `if (defined(bgp_next_hop)&&(bgp_next_hop ~ ${localSubnet})) then krt_tunnel=""; else krt_tunnel="tunl0";`;
    default:
      return '';
  }
}

function kernelStatement(pool: IPPool, settings: BgpSettings, family: IpFamily, localSubnet: string): PoolStatement {
  const cidr = pool.spec.cidr;
  const vxlan = pool.spec.vxlanMode === 'Always' || pool.spec.vxlanMode === 'CrossSubnet';
  if (vxlan) return { cidr, action: 'reject', extra: '', comment: 'VXLAN routes are handled by Felix.' };
  if (!settings.birdProgramsClusterRoutes) return { cidr, action: 'reject', extra: '', comment: 'Cluster routes are handled by Felix.' };
  return { cidr, action: 'accept', extra: family === 4 ? tunnelStatement(pool, localSubnet) : '', comment: '' };
}

/**
 * `localSubnet` is the network of the node's own address (CrossSubnet IP-in-IP); without one,
 * confd writes no IPv4 kernel statements at all.
 */
export function poolFilters(datastore: CalicoDatastore, settings: BgpSettings, family: IpFamily, localSubnet: string): PoolFilters {
  const pools = datastore.ipPools.filter((p) => familyOf(p.spec.cidr) === family);
  const exportRejected: PoolStatement[] = [];
  const exportAccepted: PoolStatement[] = [];
  const kernel: PoolStatement[] = [];
  for (const pool of pools) {
    const cidr = pool.spec.cidr;
    if (pool.spec.disableBGPExport) exportRejected.push({ cidr, action: 'reject', extra: '', comment: 'BGP export is disabled.' });
    else exportAccepted.push({ cidr, action: 'accept', extra: '', comment: '' });
    if (family === 6 || localSubnet !== '') {
      const statement = kernelStatement(pool, settings, family, localSubnet);
      // The IPv6 kernel filter ends in accept; only its rejections are written.
      if (family === 4 || statement.action === 'reject') kernel.push(statement);
    }
  }
  return { exportRejected: sorted(exportRejected), exportAccepted: sorted(exportAccepted), kernel: sorted(kernel) };
}
