import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { ServingControlPlane, etcdProblem } from './control-plane.ts';
import type { RollRun } from './run.ts';

const POLL_MS = 2_000;

/**
 * A node is back when it is Ready and schedulable, and for a control plane
 * when etcd has every control plane as a healthy member again; only then may
 * the next batch leave. A node that does not come back stops the roll (it
 * stays cordoned), and the next run resumes here.
 */
export async function bringBack(run: RollRun, node: ClusterNode): Promise<void> {
  const cp = await ServingControlPlane.connect(run.env, run.cluster, run.rendered, run.credentials, run.reporter);
  try {
    await cp.uncordonWhenReady(node.name, run.readyTimeoutSeconds);
    if (node.role === 'controlPlane') await etcdWhole(run, cp, `after ${node.name} joined again`);
  } finally {
    cp.close();
  }
  const left = run.record.node(node.name).at;
  run.record.step(node.name, 'done');
  const since = run.record.progress.nodes[node.name]?.at;
  const out = left !== undefined && since !== undefined ? ` (${((Date.parse(since) - Date.parse(left)) / 1000).toFixed(1)} s since it began to leave)` : '';
  run.reporter.info(node.name, `back: Ready and schedulable${node.role === 'controlPlane' ? ', etcd whole' : ''}${out}`);
}

/** etcd with every control plane as a healthy member, waited for up to the ready timeout (a member that just joined takes a moment). */
export async function etcdWhole(run: RollRun, cp: ServingControlPlane, when: string, tolerated: readonly string[] = []): Promise<void> {
  const controlPlanes = run.cluster.controlPlanes.map((n) => n.name);
  const deadline = Date.now() + run.readyTimeoutSeconds * 1000;
  for (;;) {
    const problem = etcdProblem(await cp.etcd(), controlPlanes, tolerated);
    if (problem === undefined) {
      run.reporter.info(cp.name, `etcd ${when}: ${controlPlanes.length} healthy members (${controlPlanes.join(', ')})`);
      return;
    }
    if (Date.now() + POLL_MS > deadline) throw new Error(`etcd is not whole ${when}, after ${run.readyTimeoutSeconds} s: ${problem}. The roll stops here; run the same command again once etcd is whole.`);
    await sleep(POLL_MS);
  }
}
