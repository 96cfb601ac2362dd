import pLimit from 'p-limit';
import { join } from 'node:path';
import type { Environment } from '../../stacks/environment/load.ts';
import { computeCluster, type ClusterNode } from '../../stacks/topology/topology.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { HERD_DIR } from '../../templates/paths.ts';
import { SCRIPTS, renderCluster, type RenderedCluster } from '../../templates/render.ts';
import { forget, knownHostsPath } from '../ssh/known-hosts.ts';
import { clusterScript, toNodeFiles } from './artifacts.ts';
import { connectAll, sshCredentials, type EnvironmentCredentials } from './connect-hosts.ts';
import { parseEtcdStatus, planMemberRemoval, type EtcdMember } from './etcd-guard.ts';
import { Redactor } from './redact.ts';
import { RefusedError } from './refused.ts';
import { RemoteHost, type HostAddress } from './remote-host.ts';
import { Reporter, type Console } from './report.ts';

export interface RemoveNodeOptions {
  readonly env: Environment;
  /** The node leaving; it may already be gone from the environment file (a lowered count). */
  readonly node: string;
  readonly address: string;
  readonly drainTimeoutSeconds: number;
  /** The whole environment goes (`cdktf destroy`): reset the node, leave the cluster alone. */
  readonly teardown: boolean;
  readonly console: Console;
}

const CA_KEY = '/etc/kubernetes/pki/ca.key';
const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';

/**
 * Takes a node out of the cluster before its machine goes: on a control plane
 * that stays and serves, the quorum guard, then drain, etcd member (control
 * planes), Node object; then `kubeadm reset` on the node itself; then its
 * host key is forgotten. A refusal throws RefusedError before anything is
 * touched. A node or a cluster that cannot be reached does not stop the
 * removal: each such part is skipped with a warning, so a dead machine can
 * always go. In a teardown only the reset and the host key are left to do.
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

  // The node is reached first: whether it answers decides between a drain and an ungraceful removal.
  const reached = await reach(env, leaving, credentials, reporter, timeoutMs);
  try {
    if (reached.host === undefined) warnings.push(`${node} (${options.address}) was not reset (kubeadm reset): ${reached.error}`);
    if (options.teardown) {
      reporter.info(node, 'the whole environment goes: reset only, the cluster is left alone');
    } else {
      await removeFromCluster({ ...options, cluster: cluster.controlPlanes, rendered, credentials, reporter, timeoutMs, warnings }, reached.host);
    }
    if (reached.host !== undefined) {
      reporter.phase(`Reset ${node}`);
      await reached.host.putFiles(SCRIPTS.resetNode, toNodeFiles([clusterScript(rendered, SCRIPTS.resetNode)]));
      await reached.host.mustRun(SCRIPTS.resetNode, ['bash', `${HERD_DIR}/${SCRIPTS.resetNode}`]);
      reporter.info(node, 'reset');
    }
  } finally {
    reached.close();
  }

  const dropped = await forget(knownHostsPath(env), [options.address, node], env.spec.ssh.port);
  reporter.info(node, `dropped ${dropped} known_hosts entr${dropped === 1 ? 'y' : 'ies'} for ${options.address}`);
  for (const warning of warnings) reporter.info(undefined, `WARNING: ${warning}`);
  return { warnings };
}

interface ClusterSide extends RemoveNodeOptions {
  /** The control planes the environment file wants: those that stay, and where the removal is done from. */
  readonly cluster: readonly ClusterNode[];
  readonly rendered: RenderedCluster;
  readonly credentials: EnvironmentCredentials;
  readonly reporter: Reporter;
  readonly timeoutMs: number;
  readonly warnings: string[];
}

async function removeFromCluster(side: ClusterSide, leavingHost: RemoteHost | undefined): Promise<void> {
  const { node, reporter, rendered } = side;
  reporter.phase(`Remove ${node} from the cluster`);
  const staying = side.cluster.filter((cp) => cp.name !== node);
  const serving = await firstServing(side, staying, async (cp) => {
    await cp.putFiles('upload removal scripts', toNodeFiles([clusterScript(rendered, SCRIPTS.etcdMembers), clusterScript(rendered, SCRIPTS.removeNode)]));
    // Any etcd pod that answers will do for reading, this control plane's own first: its etcd may be the one that is down.
    const pods = [cp.name, ...staying.filter((c) => c !== cp.node).map((c) => c.name), node];
    const status = await cp.mustRun('read etcd members', ['bash', `${HERD_DIR}/${SCRIPTS.etcdMembers}`, ...pods.slice(0, 1), 'status', ...pods.slice(1)]);
    return parseEtcdStatus(status.stdout);
  });
  if (serving === undefined) {
    // Without a control plane that stays, nothing can tell whether this node holds the cluster's only copy.
    if (leavingHost !== undefined && (await leavingHost.rootCommand(['test', '-f', ETCD_MANIFEST])).code === 0) {
      throw new RefusedError(
        `${node} runs an etcd member, and no control plane that stays (${staying.map((cp) => cp.name).join(', ') || 'none'}) serves the API: ` +
          `herd cannot check that removing ${node} keeps etcd's quorum, and ${node} may hold the only copy of the cluster's state and CA key. ` +
          'Bring a control plane that stays back first.',
      );
    }
    side.warnings.push(`no control plane of ${side.env.name} could be reached: ${node} was NOT drained or deleted in Kubernetes; run \`kubectl delete node ${node}\` once the cluster answers`);
    return;
  }
  const { host: cp, value: members, close } = serving;
  try {
    const removals = planMemberRemoval(members, node, side.cluster.map((c) => c.name));
    if (removals.length > 0 && (await cp.rootCommand(['test', '-f', CA_KEY])).code !== 0) {
      throw new RefusedError(`${cp.name}, a control plane that stays, has no ${CA_KEY}: ${node} may hold the only copy of the cluster CA's private key. Copy it back first.`);
    }
    // etcd is changed through a healthy member that stays (one exists: the guard said so), never the leaving node's own.
    const via = members.find((m) => m.healthy && m.name !== node && side.cluster.some((c) => c.name === m.name))?.name ?? cp.name;
    for (const member of removals.filter((m) => m.name !== node)) {
      reporter.info(cp.name, `removing the etcd member of ${describe(member)} first: it is unhealthy and leaves too`);
      await cp.mustRun(SCRIPTS.etcdMembers, ['bash', `${HERD_DIR}/${SCRIPTS.etcdMembers}`, via, 'remove', member.id]);
    }
    const drainSeconds = leavingHost === undefined ? 0 : side.drainTimeoutSeconds;
    await cp.mustRun(SCRIPTS.removeNode, ['bash', `${HERD_DIR}/${SCRIPTS.removeNode}`, node, via, String(drainSeconds)]);
    reporter.info(cp.name, `${node} ${drainSeconds === 0 ? 'deleted without draining' : 'drained and deleted'}`);
    // Said only once it is true: with no control plane to act from, the node was not removed at all (warned above).
    if (leavingHost === undefined) {
      side.warnings.push(`${node} (${side.address}) cannot be reached: it was removed from the cluster without draining; its pods went with its Node object and are recreated elsewhere`);
    }
  } finally {
    close();
  }
}

const describe = (m: EtcdMember): string => (m.name === '' ? `member ${m.id} (never started)` : m.name);

/** A connection to the leaving node, or why there is none. */
async function reach(
  env: Environment,
  leaving: HostAddress,
  credentials: EnvironmentCredentials,
  reporter: Reporter,
  timeoutMs: number,
): Promise<{ host?: RemoteHost; error?: string; close: () => void }> {
  try {
    const { sessions, close } = await connectAll(env, [leaving], credentials, { limit: pLimit(1), onFirstContact: () => undefined });
    return { host: new RemoteHost(leaving, sessions.get(leaving.name)!, reporter, timeoutMs), close };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), close: () => undefined };
  }
}

/**
 * The first of `controlPlanes` that can be reached, serves the API and
 * answers `ready`, still connected; undefined when none does. A control plane
 * that fails here is passed over: nothing has been changed yet.
 */
async function firstServing<T>(
  side: ClusterSide,
  controlPlanes: readonly ClusterNode[],
  ready: (cp: RemoteHost) => Promise<T>,
): Promise<{ host: RemoteHost; value: T; close: () => void } | undefined> {
  for (const cp of controlPlanes) {
    let close = (): void => undefined;
    try {
      const connected = await connectAll(side.env, [cp], side.credentials, { limit: pLimit(1), onFirstContact: () => undefined });
      close = connected.close;
      const host = new RemoteHost(cp, connected.sessions.get(cp.name)!, side.reporter, side.timeoutMs);
      if ((await host.rootCommand(['test', '-f', '/etc/kubernetes/admin.conf'])).code !== 0) {
        side.reporter.info(cp.name, 'cannot act here: serves no API');
        close();
        continue;
      }
      return { host, value: await ready(host), close };
    } catch (err) {
      close();
      side.reporter.info(cp.name, `cannot act here: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return undefined;
}
