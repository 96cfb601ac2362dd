import pLimit from 'p-limit';
import { join } from 'node:path';
import type { Environment } from '../../stacks/environment/load.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { HERD_DIR } from '../../templates/paths.ts';
import { SCRIPTS, renderCluster } from '../../templates/render.ts';
import { acquireEnvironmentLock } from './locks/environment-lock.ts';
import { clusterScript, toNodeFiles } from './artifacts.ts';
import { connectNodes, sshCredentials } from './connect-hosts.ts';
import type { PlannedStep, RunContext } from './context.ts';
import { Redactor } from './redact.ts';
import { Reporter, type Console } from './report.ts';
import { runSteps } from './run-steps.ts';

export interface ResetOptions {
  readonly env: Environment;
  readonly console: Console;
}

const PHASE = 'reset';
const STEP = `run ${SCRIPTS.resetNode} (kubeadm reset, CNI state removed)`;

/**
 * Returns every host of an environment to its prepared state (`herd reset`):
 * reset-node.sh everywhere, known_hosts kept, so that the next `herd apply`
 * builds the cluster again on the same, trusted machines. Every host is
 * connected before any is reset, so an unreachable one stops the reset
 * while all are untouched.
 */
export async function resetEnvironment(options: ResetOptions): Promise<{ logDir: string }> {
  const { env } = options;
  const credentials = sshCredentials(env);
  const lock = await acquireEnvironmentLock(env, { operation: 'reset', timeoutSeconds: 0, warn: (message) => options.console.write(`WARNING: ${message}\n`) });
  try {
    const cluster = computeCluster(env);
    const rendered = renderCluster(cluster);
    const logDir = join(environmentStateDir(env.name), 'logs', `reset-${new Date().toISOString().replaceAll(':', '-')}`);
    const reporter = new Reporter(new Redactor(), logDir, options.console);
    const limit = pLimit(env.spec.provisioner.concurrency);

    const { hosts, close } = await connectNodes(env, cluster.nodes, credentials, reporter, limit);
    try {
      const ctx: RunContext = { env, cluster, rendered, reporter, limit, secrets: {}, hosts, facts: new Map() };
      const script = toNodeFiles([clusterScript(rendered, SCRIPTS.resetNode)]);
      const reset = async ({ host }: PlannedStep): Promise<void> => {
        const node = hosts.get(host)!;
        await node.putFiles(SCRIPTS.resetNode, script);
        await node.mustRun(SCRIPTS.resetNode, ['bash', `${HERD_DIR}/${SCRIPTS.resetNode}`]);
      };
      const steps = (names: readonly string[]): PlannedStep[] => names.map((host) => ({ host, step: STEP }));

      reporter.phase('Reset the workers');
      await runSteps(ctx, PHASE, steps(cluster.workers.map((n) => n.name)), reset);
      // kubeadm reset on a control plane first removes its own etcd member: one at a time, the
      // first control plane last, each removal still has a quorum to commit it.
      reporter.phase('Reset the control planes, one at a time');
      await runSteps(ctx, PHASE, steps(cluster.controlPlanes.map((n) => n.name).reverse()), reset, 'one at a time');
      options.console.write(`\n${reporter.summary()}`);
      return { logDir };
    } finally {
      close();
    }
  } finally {
    await lock.release();
  }
}
