import { intToIpv4, ipv4ToInt } from '../environment/net.ts';
import { workerBatchSize } from './batches.ts';
import { CONTROL_PLANE_BLOCK, clusterNode, type Cluster, type ClusterNode } from './topology.ts';

/**
 * Surge, for pools that cannot lose capacity: while `herd roll --surge` rolls
 * a pool, it first adds as many temporary workers as one batch takes away,
 * joined and Ready before the pool's first node leaves, and removes them once
 * the pool's last node is back. They take the top addresses of the pool's
 * block (those a growing pool would hand out last) and names
 * `<env>-<pool>-surge<k>`, which no pool's node can have (those end in
 * `-<index>`). The cost: that many addresses of the block kept free (the pool
 * may count at most poolSize minus its batch size while it rolls with
 * surge), that many VMs' worth of vSphere capacity for the pool's roll, and
 * two more VM builds per batch-sized group of nodes.
 */
export type Surge = { readonly nodes: readonly ClusterNode[] } | { readonly unavailable: string };

export function surgeOf(cluster: Cluster, poolName: string): Surge {
  const { spec } = cluster;
  const poolIndex = spec.workerPools.findIndex((p) => p.name === poolName);
  const pool = spec.workerPools[poolIndex];
  if (pool === undefined) return { unavailable: `${cluster.name} has no pool named ${poolName}` };
  const allocation = spec.network.allocation;
  if (spec.infrastructure.type !== 'vsphere' || allocation === undefined) {
    return { unavailable: 'herd can add machines only on vSphere: static hosts exist before herd, and their count is what the file lists' };
  }
  const size = workerBatchSize(spec.upgrade.workerBatchSize, pool.count);
  if (pool.count + size > allocation.poolSize) {
    return {
      unavailable: `pool ${poolName} counts ${pool.count} of the ${allocation.poolSize} addresses of its block (network.allocation.poolSize), and surge needs ${size} more, free at the top of the block`,
    };
  }
  const blockStart = ipv4ToInt(allocation.start) + CONTROL_PLANE_BLOCK + poolIndex * allocation.poolSize;
  const nodes = Array.from({ length: size }, (_, i) => {
    const index = allocation.poolSize - size + i + 1;
    const address = blockStart + index - 1;
    return clusterNode({ name: `${cluster.name}-${poolName}-surge${i + 1}`, role: 'worker', pool: poolName, index, poolIndex, rack: pool.rack }, intToIpv4(address), spec, false);
  });
  const beyond = nodes.find((n) => ipv4ToInt(n.address) > ipv4ToInt(allocation.end));
  if (beyond !== undefined) return { unavailable: `${beyond.name} would take ${beyond.address}, past network.allocation.end (${allocation.end})` };
  return { nodes };
}

/** Every pool's surge nodes that its block has room for: what the stack can create when a roll asks. */
export function availableSurge(cluster: Cluster): ClusterNode[] {
  return cluster.spec.workerPools.flatMap((p) => {
    const surge = surgeOf(cluster, p.name);
    return 'nodes' in surge ? surge.nodes : [];
  });
}

/** The cluster with these surge nodes among its workers, for the roll that joins them. */
export function withSurge(cluster: Cluster, surge: readonly ClusterNode[]): Cluster {
  return { ...cluster, nodes: [...cluster.nodes, ...surge], workers: [...cluster.workers, ...surge] };
}
