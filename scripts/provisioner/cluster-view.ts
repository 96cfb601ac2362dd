import { ADMIN_KUBECONFIG } from '../../templates/paths.ts';
import { SCRIPTS } from '../../templates/render.ts';
import { clusterScript } from './artifacts.ts';
import { hostOf, type RunContext } from './context.ts';
import { parseEtcdStatus, type EtcdMember } from './etcd-guard.ts';
import { servesOnDisk } from './membership.ts';
import { tail } from './remote-host.ts';

/** A Node object as the API server has it. */
export interface RegisteredNode {
  /** Changes when the object is deleted and registered again, which drops what herd had set on it. */
  readonly uid: string;
  readonly ready: boolean;
}

/**
 * What the cluster itself says about its members, read (read-only) from a
 * control plane that serves: the node files on a host say only what that host
 * once joined, not whether the cluster still has it.
 */
export interface ClusterView {
  /** The control plane it was read from. */
  readonly from: string;
  readonly nodes: ReadonlyMap<string, RegisteredNode>;
  /** etcd's members, or undefined when no etcd pod answered. */
  readonly etcd: readonly EtcdMember[] | undefined;
}

interface NodeList {
  items: { metadata: { name: string; uid: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

export function parseNodeList(json: string): Map<string, RegisteredNode> {
  const list = JSON.parse(json) as NodeList;
  return new Map(
    list.items.map((n) => [n.metadata.name, { uid: n.metadata.uid, ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false }]),
  );
}

/**
 * Reads the cluster's nodes and etcd members, from the first control plane
 * whose files say it serves and that answers; undefined before the cluster
 * exists. Read-only: the etcd script travels on stdin, so that a plan writes
 * nothing on the node. A cluster that answers nowhere is an error, since
 * deciding what has joined from files alone is what this is here to avoid.
 */
export async function readClusterView(ctx: RunContext): Promise<ClusterView | undefined> {
  const candidates = ctx.cluster.controlPlanes.filter((cp) => servesOnDisk(ctx, cp.name)).map((cp) => cp.name);
  if (candidates.length === 0) return undefined;
  const failures: string[] = [];
  for (const from of candidates) {
    const host = hostOf(ctx, from);
    // Any etcd pod that answers will do, this control plane's own first.
    const etcdPods = [from, ...candidates.filter((cp) => cp !== from)];
    const [nodes, etcd] = await Promise.all([
      host.rootCommand(['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, 'get', 'nodes', '-o', 'json'], { readOnly: true }),
      host.rootCommand(['bash', '-s', '--', etcdPods[0]!, 'status', ...etcdPods.slice(1)], { readOnly: true, stdin: clusterScript(ctx.rendered, SCRIPTS.etcdMembers).content }),
    ]);
    if (nodes.code === 0) return { from, nodes: parseNodeList(nodes.stdout), etcd: etcd.code === 0 ? parseEtcdStatus(etcd.stdout) : undefined };
    failures.push(`${from}: ${tail(nodes.stderr) || `kubectl exited with ${nodes.code}`}`);
  }
  throw new Error(`the cluster's API does not answer from any control plane that holds its files, so herd cannot tell which nodes it still has:\n  ${failures.join('\n  ')}`);
}
