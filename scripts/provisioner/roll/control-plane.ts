import pLimit from 'p-limit';
import type { Environment } from '../../../stacks/environment/load.ts';
import type { Cluster } from '../../../stacks/topology/topology.ts';
import { ADMIN_KUBECONFIG, HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS, type RenderedCluster } from '../../../templates/render.ts';
import { clusterScript, toNodeFiles } from '../artifacts.ts';
import { connectAll, type EnvironmentCredentials } from '../connect-hosts.ts';
import { parseEtcdStatus, type EtcdMember } from '../etcd-guard.ts';
import { RemoteHost, tail } from '../remote-host.ts';
import type { Reporter } from '../report.ts';

/** A node as the roll watches it: there, Ready, schedulable. */
export interface NodeCondition {
  readonly ready: boolean;
  readonly unschedulable: boolean;
}

interface NodeList {
  items: { metadata: { name: string }; spec?: { unschedulable?: boolean }; status?: { conditions?: { type: string; status: string }[] } }[];
}

/** Beyond a command's own limit, for kubectl to report and exit before the node kills it. */
const GRACE_SECONDS = 30;

/**
 * A control plane that serves the API, connected for what the roll reads
 * between nodes (Nodes, etcd's members and health) and for bringing a node
 * back (wait Ready, uncordon). The roll connects anew for each batch: the
 * control plane it used may be the one that leaves next.
 */
export class ServingControlPlane {
  private constructor(
    readonly host: RemoteHost,
    private readonly others: readonly string[],
    private readonly closeConnection: () => void,
  ) {}

  /** The first control plane (other than `except`) that can be reached and serves; an error naming each that did not. */
  static async connect(env: Environment, cluster: Cluster, rendered: RenderedCluster, credentials: EnvironmentCredentials, reporter: Reporter, except?: string): Promise<ServingControlPlane> {
    const candidates = cluster.controlPlanes.filter((cp) => cp.name !== except);
    const failures: string[] = [];
    for (const cp of candidates) {
      let close = (): void => undefined;
      try {
        const connected = await connectAll(env, [cp], credentials, { limit: pLimit(1), onFirstContact: (name, fp) => reporter.info(name, `first contact: recorded host key ${fp}`) });
        close = connected.close;
        const host = new RemoteHost(cp, connected.sessions.get(cp.name)!, reporter, env.spec.ssh.commandTimeoutSeconds * 1000);
        const api = await host.rootCommand(['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, 'get', '--raw', '/readyz'], { readOnly: true });
        if (api.code !== 0) throw new Error(tail(api.stderr) || 'the API does not answer /readyz');
        await host.putFiles('upload drain-node.sh, etcd-members.sh', toNodeFiles([clusterScript(rendered, SCRIPTS.drainNode), clusterScript(rendered, SCRIPTS.etcdMembers)]));
        return new ServingControlPlane(host, candidates.filter((c) => c !== cp).map((c) => c.name), close);
      } catch (err) {
        close();
        failures.push(`${cp.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`no control plane of ${env.name} serves the API, so herd cannot watch the cluster between nodes:\n  ${failures.join('\n  ')}`);
  }

  get name(): string {
    return this.host.name;
  }

  async nodes(): Promise<Map<string, NodeCondition>> {
    const result = await this.host.mustRun('read Nodes', ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, 'get', 'nodes', '-o', 'json'], { readOnly: true });
    const list = JSON.parse(result.stdout) as NodeList;
    return new Map(
      list.items.map((n) => [
        n.metadata.name,
        { ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, unschedulable: n.spec?.unschedulable === true },
      ]),
    );
  }

  /** etcd's members and their health, through any etcd pod that answers, this control plane's own first. */
  async etcd(): Promise<EtcdMember[]> {
    const result = await this.host.mustRun('read etcd members', ['bash', `${HERD_DIR}/${SCRIPTS.etcdMembers}`, this.name, 'status', ...this.others], { readOnly: true });
    return parseEtcdStatus(result.stdout);
  }

  /** Waits for the node to be Ready, then makes it schedulable; a node that does not come back stays cordoned and this fails. */
  async uncordonWhenReady(node: string, timeoutSeconds: number): Promise<void> {
    await this.host.mustRun(`uncordon ${node}`, ['bash', `${HERD_DIR}/${SCRIPTS.drainNode}`, 'uncordon', node, String(timeoutSeconds)], { timeoutSeconds: timeoutSeconds + GRACE_SECONDS });
  }

  close(): void {
    this.closeConnection();
  }
}

/**
 * What keeps etcd from being whole: every control plane of the environment a
 * member, every member healthy, no member that is not one of them. Undefined
 * when it is whole, which the roll requires before each control plane leaves
 * and after each returns. `tolerated` members may be unhealthy: a control
 * plane herd node replace is about to take out because it is broken.
 */
export function etcdProblem(members: readonly EtcdMember[], controlPlanes: readonly string[], tolerated: readonly string[] = []): string | undefined {
  const names = members.map((m) => m.name || `${m.id} (never started)`);
  const missing = controlPlanes.filter((cp) => !members.some((m) => m.name === cp));
  const strangers = members.filter((m) => !controlPlanes.includes(m.name)).map((m) => m.name || `${m.id} (never started)`);
  // A member being replaced because it is broken (herd node replace) may be unhealthy: it is about to leave.
  const unhealthy = members.filter((m) => !m.healthy && controlPlanes.includes(m.name) && !tolerated.includes(m.name)).map((m) => m.name);
  if (missing.length === 0 && strangers.length === 0 && unhealthy.length === 0) return undefined;
  const healthy = members.filter((m) => m.healthy).length;
  return [
    `etcd has ${members.length} member${members.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}), ${healthy} healthy; it must have all ${controlPlanes.length} control planes (${controlPlanes.join(', ')}) as healthy members`,
    ...(unhealthy.length > 0 ? [`unhealthy: ${unhealthy.join(', ')}`] : []),
    ...(missing.length > 0 ? [`not a member: ${missing.join(', ')}`] : []),
    ...(strangers.length > 0 ? [`a member that is no control plane of the environment: ${strangers.join(', ')}`] : []),
  ].join('; ');
}
