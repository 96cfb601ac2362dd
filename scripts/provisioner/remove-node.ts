import pLimit from 'p-limit';
import { join } from 'node:path';
import type { Environment } from '../../stacks/environment/load.ts';
import { computeCluster, type ClusterNode } from '../../stacks/topology/topology.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { HERD_DIR } from '../../templates/paths.ts';
import { SCRIPTS, renderCluster } from '../../templates/render.ts';
import { forget, knownHostsPath } from '../ssh/known-hosts.ts';
import { clusterScript, toNodeFiles } from './artifacts.ts';
import { connectAll, sshCredentials, type EnvironmentCredentials } from './connect-hosts.ts';
import { Redactor } from './redact.ts';
import { RemoteHost } from './remote-host.ts';
import { Reporter, type Console } from './report.ts';

export interface RemoveNodeOptions {
  readonly env: Environment;
  /** The node leaving; it may already be gone from the environment file (a lowered count). */
  readonly node: string;
  readonly address: string;
  readonly drainTimeoutSeconds: number;
  readonly console: Console;
}

/**
 * Takes a node out of the cluster before its machine goes: drain, etcd member
 * (control planes), Node object, on a control plane that serves; then
 * `kubeadm reset` on the node itself; then its host key is forgotten. A node
 * or a control plane that cannot be reached does not stop the removal: each
 * such part is skipped with a warning, so a dead machine can always go.
 */
export async function removeNode(options: RemoveNodeOptions): Promise<{ warnings: string[] }> {
  const { env, node } = options;
  const credentials = sshCredentials(env);
  const cluster = computeCluster(env);
  const rendered = renderCluster(cluster);
  const reporter = new Reporter(new Redactor(), join(environmentStateDir(env.name), 'logs', `remove-${node}-${new Date().toISOString().replaceAll(':', '-')}`), options.console);
  const warnings: string[] = [];
  const timeoutMs = env.spec.ssh.commandTimeoutSeconds * 1000;

  const leaving = { name: node, address: options.address };
  const others = cluster.controlPlanes.filter((cp) => cp.name !== node);

  reporter.phase(`Remove ${node} from the cluster`);
  const removedBy = await onServingControlPlane(env, others, credentials, reporter, timeoutMs, async (cp) => {
    await cp.putFiles(SCRIPTS.removeNode, toNodeFiles([clusterScript(rendered, SCRIPTS.removeNode)]));
    await cp.mustRun(SCRIPTS.removeNode, ['bash', `${HERD_DIR}/${SCRIPTS.removeNode}`, node, cp.name, String(options.drainTimeoutSeconds)]);
  });
  if (removedBy === undefined) {
    warnings.push(`no control plane of ${env.name} could be reached: ${node} was NOT drained or deleted in Kubernetes; run \`kubectl delete node ${node}\` once the cluster answers`);
  } else {
    reporter.info(removedBy, `${node} drained and deleted`);
  }

  reporter.phase(`Reset ${node}`);
  try {
    const { sessions, close } = await connectAll(env, [leaving], credentials, { limit: pLimit(1), onFirstContact: () => undefined });
    try {
      const host = new RemoteHost(leaving, sessions.get(node)!, reporter, timeoutMs);
      await host.putFiles(SCRIPTS.resetNode, toNodeFiles([clusterScript(rendered, SCRIPTS.resetNode)]));
      await host.mustRun(SCRIPTS.resetNode, ['bash', `${HERD_DIR}/${SCRIPTS.resetNode}`]);
      reporter.info(node, 'reset');
    } finally {
      close();
    }
  } catch (err) {
    warnings.push(`${node} (${options.address}) was not reset (kubeadm reset): ${err instanceof Error ? err.message : String(err)}`);
  }

  const dropped = await forget(knownHostsPath(env), [options.address, node], env.spec.ssh.port);
  reporter.info(node, `dropped ${dropped} known_hosts entr${dropped === 1 ? 'y' : 'ies'} for ${options.address}`);
  for (const warning of warnings) reporter.info(undefined, `WARNING: ${warning}`);
  return { warnings };
}

/** Runs `act` on the first of `controlPlanes` that can be reached and serves the API; its name, or undefined. */
async function onServingControlPlane(
  env: Environment,
  controlPlanes: readonly ClusterNode[],
  credentials: EnvironmentCredentials,
  reporter: Reporter,
  timeoutMs: number,
  act: (cp: RemoteHost) => Promise<void>,
): Promise<string | undefined> {
  for (const cp of controlPlanes) {
    try {
      const { sessions, close } = await connectAll(env, [cp], credentials, { limit: pLimit(1), onFirstContact: () => undefined });
      try {
        const host = new RemoteHost(cp, sessions.get(cp.name)!, reporter, timeoutMs);
        if ((await host.rootCommand(['test', '-f', '/etc/kubernetes/admin.conf'])).code !== 0) continue;
        await act(host);
        return cp.name;
      } finally {
        close();
      }
    } catch (err) {
      reporter.info(cp.name, `cannot act here: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return undefined;
}
