import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { provision } from '../provision.ts';
import type { RollRun } from './run.ts';

/**
 * The batch's new machines join through `herd apply` itself, under the lock
 * the roll holds and shares: each is new to the cluster (its predecessor
 * left), so apply prepares it, joins it and applies its Calico objects, and
 * its verify waits until every node is Ready. For a vSphere VM, Terraform's
 * reconcile step has done this already, and apply finds nothing to do.
 */
export async function rejoin(run: RollRun, batch: readonly ClusterNode[]): Promise<void> {
  run.reporter.phase(`Join ${batch.map((n) => n.name).join(', ')} (herd apply ${run.env.name})`);
  await provision({ env: run.env, dryRun: false, console: run.console, verifyTimeoutMs: run.readyTimeoutSeconds * 1000 });
  for (const node of batch) run.record.step(node.name, 'joined');
}
