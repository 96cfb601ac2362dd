import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { removeNode } from '../remove-node.ts';
import { recordedHostKeys } from './await-machine.ts';
import type { RollRun } from './run.ts';

/**
 * A node leaves as a lowered count takes it (herd node remove): drained from
 * a control plane that stays (PodDisruptionBudgets respected, within
 * upgrade.drainTimeoutSeconds), its etcd member removed under the quorum
 * guard, its Node deleted, `kubeadm reset` on it so that its kubelet cannot
 * register the Node again, its host key forgotten. The keys it offered are
 * recorded first: a machine that offers others is a new one.
 */
export async function leave(run: RollRun, node: ClusterNode): Promise<void> {
  const { env, record } = run;
  const oldHostKeys = record.node(node.name).oldHostKeys ?? recordedHostKeys(env, node);
  record.step(node.name, 'leaving', { oldHostKeys });
  run.reporter.info(node.name, `leaving: drain (PodDisruptionBudgets respected, up to ${env.spec.upgrade.drainTimeoutSeconds} s), remove from the cluster${node.role === 'controlPlane' ? ' and etcd' : ''}, reset`);
  const { warnings } = await removeNode({ env, node: node.name, address: node.address, drainTimeoutSeconds: env.spec.upgrade.drainTimeoutSeconds, teardown: false, console: run.console });
  for (const warning of warnings) run.reporter.info(node.name, `WARNING: ${warning}`);
  record.step(node.name, 'out');
}
