import { CONTROL_PLANE_POOL, type Cluster, type ClusterNode } from '../../../stacks/topology/topology.ts';
import { RefusedError } from '../refused.ts';
import { workerBatches } from '../upgrade-plan.ts';

export interface RollScope {
  /** Only these pools' nodes (`cp` for the control planes); every pool when empty. */
  readonly pools: readonly string[];
  /** Only these nodes (herd node replace); every node of the pools when empty. */
  readonly nodes: readonly string[];
}

/**
 * The nodes a roll may replace, from the operator's choice of pools or
 * nodes, each checked against the environment. A single control plane is
 * never replaced: its etcd member is the cluster's only copy.
 */
export function nodesInScope(cluster: Cluster, scope: RollScope): ClusterNode[] {
  const pools = [CONTROL_PLANE_POOL, ...cluster.spec.workerPools.map((p) => p.name)];
  const unknownPool = scope.pools.find((p) => !pools.includes(p));
  if (unknownPool !== undefined) throw new RefusedError(`${cluster.name} has no pool named ${unknownPool}; its pools are ${pools.join(', ')} (${CONTROL_PLANE_POOL}: the control planes)`);
  const unknownNode = scope.nodes.find((n) => !cluster.nodes.some((node) => node.name === n));
  if (unknownNode !== undefined) throw new RefusedError(`${cluster.name} has no node named ${unknownNode}; \`herd nodes ${cluster.name}\` lists them`);
  const chosen = cluster.nodes.filter((n) => (scope.nodes.length === 0 || scope.nodes.includes(n.name)) && (scope.pools.length === 0 || scope.pools.includes(n.pool)));
  const lonely = chosen.find((n) => n.role === 'controlPlane' && cluster.controlPlanes.length === 1);
  if (lonely !== undefined) {
    const workers = cluster.spec.workerPools.map((p) => `--pool ${p.name}`).join(' ');
    throw new RefusedError(
      `${lonely.name} is the only control plane: replacing it would take etcd's only member, and with it the cluster's state and CA key. ` +
        `Raise controlPlane.count to 3 and apply first, or leave the control plane out${workers === '' ? '' : ` (${workers})`}.`,
    );
  }
  return chosen;
}

/**
 * The order a roll replaces nodes in, batch by batch: control planes first,
 * one at a time (etcd never misses more than one member), then each pool's
 * workers in batches of upgrade.workerBatchSize, as an upgrade takes them.
 */
export function rollBatches(cluster: Cluster, nodes: readonly ClusterNode[]): ClusterNode[][] {
  const chosen = new Set(nodes.map((n) => n.name));
  const controlPlanes = cluster.controlPlanes.filter((n) => chosen.has(n.name)).map((n) => [n]);
  const workers = workerBatches({ cluster }, cluster.workers.filter((n) => chosen.has(n.name)).map((node) => ({ node })));
  return [...controlPlanes, ...workers.map((batch) => batch.map((w) => w.node))];
}
