import type { Cluster, ClusterNode } from '../../../stacks/topology/topology.ts';
import { surgeOf, withSurge } from '../../../stacks/topology/surge.ts';
import { neighborsForm } from '../../../stacks/topology/peer-addresses.ts';
import { nodesPeeringWith } from '../../../templates/peer-view.ts';
import { provision } from '../provision.ts';
import { RefusedError } from '../refused.ts';
import { leave } from './leave.ts';
import type { RollRun } from './run.ts';
import { bringBack } from './return.ts';
import type { TerraformMachines } from './terraform.ts';

/** A roll's surge: the pools it adds machines to, with their surge nodes, and the Terraform that adds them. */
export interface SurgePlan {
  readonly machines: TerraformMachines;
  readonly pools: ReadonlyMap<string, readonly ClusterNode[]>;
}

/**
 * One batch of a roll with surge: the pool's surge machines added before its
 * first batch (or finished being added, on a resumed roll), removed after its
 * last one.
 */
export async function surgeAround(run: RollRun, surge: SurgePlan | undefined, batches: readonly (readonly ClusterNode[])[], index: number, act: () => Promise<void>): Promise<void> {
  const pool = batches[index]![0]!.pool;
  const nodes = surge?.pools.get(pool);
  if (surge === undefined || nodes === undefined) return act();
  const step = (): string | undefined => run.record.progress.surge?.[pool];
  if (step() === undefined || step() === 'adding') await addSurge(run, surge.machines, pool, nodes);
  await act();
  if (batches[index + 1]?.[0]?.pool !== pool && step() !== 'gone') await removeSurge(run, surge.machines, pool, nodes);
}

/**
 * The surge nodes of each pool a roll takes, or a refusal naming why a pool
 * cannot have them: no room at the top of its address block, or a BGP peer
 * whose configuration names each node (static neighbors), where a surge
 * node's session would never come up.
 */
export function surgeFor(cluster: Cluster, pools: readonly string[]): Map<string, readonly ClusterNode[]> {
  const surge = new Map<string, readonly ClusterNode[]>();
  const problems: string[] = [];
  for (const pool of pools) {
    const found = surgeOf(cluster, pool);
    if ('unavailable' in found) {
      problems.push(`pool ${pool}: ${found.unavailable}`);
      continue;
    }
    const grown = withSurge(cluster, found.nodes);
    for (const peer of cluster.spec.calico.bgp.peers) {
      const peering = nodesPeeringWith(grown, peer).filter((n) => found.nodes.includes(n));
      if (neighborsForm(peer) === 'static' && peering.length > 0) {
        problems.push(`pool ${pool}: its surge node${peering.length === 1 ? '' : 's'} would peer with ${peer.name}, whose configuration names each node (static neighbors), so ${peering.length === 1 ? 'its session' : 'their sessions'} would not come up`);
      }
    }
    surge.set(pool, found.nodes);
  }
  if (problems.length > 0) throw new RefusedError(`--surge cannot add machines here:\n  ${problems.join('\n  ')}\nRoll ${problems.length === 1 ? 'that pool' : 'those pools'} without --surge.`);
  return surge;
}

/**
 * Before a pool's first node leaves: its surge machines created through
 * Terraform (the variable herd_surge names the pool), joined (herd apply of
 * the cluster with them), Ready and schedulable.
 */
async function addSurge(run: RollRun, machines: TerraformMachines, pool: string, nodes: readonly ClusterNode[]): Promise<void> {
  run.reporter.phase(`Surge for pool ${pool}: ${nodes.map((n) => `${n.name} (${n.address})`).join(', ')}, before its first node leaves`);
  run.record.surgeStep(pool, 'adding');
  await machines.changeSurge([...new Set([...run.record.surgeUp, pool])], { create: nodes });
  await provision({ env: run.env, dryRun: false, console: run.console, verifyTimeoutMs: run.readyTimeoutSeconds * 1000, cluster: withSurge(run.cluster, nodes) });
  for (const node of nodes) await bringBack(run, node);
  run.record.surgeStep(pool, 'up');
}

/** Once the pool's last node is back: its surge nodes leave the cluster as any node does, then Terraform destroys their machines. */
async function removeSurge(run: RollRun, machines: TerraformMachines, pool: string, nodes: readonly ClusterNode[]): Promise<void> {
  run.reporter.phase(`Surge for pool ${pool}: the pool is rolled, ${nodes.map((n) => n.name).join(', ')} leave${nodes.length === 1 ? 's' : ''}`);
  run.record.surgeStep(pool, 'removing');
  for (const node of nodes) await leave(run, node);
  await machines.changeSurge(run.record.surgeUp.filter((p) => p !== pool), { destroy: nodes });
  run.record.surgeStep(pool, 'gone');
}
