import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { RefusedError } from './refused.ts';
import { factsOf, type RunContext } from './context.ts';

/**
 * Whether a node is a member of the cluster, from both sides: the files
 * `kubeadm join` (or init) left on the host, and the cluster's own view (its
 * Node object, and for a control plane its etcd member). Where the two
 * disagree, the node is repaired rather than trusted:
 * - `rejoin`: the host has joined, but the cluster no longer has it (it was
 *   removed while unreachable): reset the host, then join it again;
 * - `replace`: the host is new, but the cluster still has a member of its
 *   name (the machine was replaced): remove the stale Node object and etcd
 *   member, then join.
 */
export type Membership =
  | { readonly kind: 'member' }
  | { readonly kind: 'new' }
  | { readonly kind: 'rejoin'; readonly reason: string }
  | { readonly kind: 'replace'; readonly reason: string; readonly etcdMember?: string };

const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';

/** A control plane whose files say it serves the API (kubeadm init or join left them). */
export function servesOnDisk(ctx: RunContext, name: string): boolean {
  const files = factsOf(ctx, name).files;
  return files.has(ADMIN_KUBECONFIG) && files.has(APISERVER_MANIFEST);
}

/** Joined by the host's own files: what kubeadm leaves behind. */
export function joinedOnDisk(ctx: RunContext, node: ClusterNode): boolean {
  const files = factsOf(ctx, node.name).files;
  return files.has(KUBELET_CONF) && (node.role === 'worker' || files.has(APISERVER_MANIFEST));
}

export function membershipOf(ctx: RunContext, node: ClusterNode): Membership {
  const onDisk = joinedOnDisk(ctx, node);
  const view = ctx.clusterView;
  // Before the cluster exists, or where it could not be read, the files are all there is.
  if (view === undefined) return onDisk ? { kind: 'member' } : { kind: 'new' };
  const registered = view.nodes.get(node.name);
  const etcdMember = node.role === 'controlPlane' ? view.etcd?.find((m) => m.name === node.name) : undefined;
  if (onDisk) {
    if (registered === undefined) return { kind: 'rejoin', reason: `the cluster has no Node ${node.name} (it was removed while the host was unreachable)` };
    if (node.role === 'controlPlane' && view.etcd !== undefined && etcdMember === undefined) {
      return { kind: 'rejoin', reason: `etcd has no member ${node.name} (it was removed while the host was unreachable)` };
    }
    return { kind: 'member' };
  }
  // This very host began a join that stopped half-way: kubeadm join will not run over its files.
  if (factsOf(ctx, node.name).files.has(KUBELET_CONF)) return { kind: 'rejoin', reason: 'its last join stopped half-way (kubelet.conf without the control plane\'s manifests)' };
  if (registered === undefined && etcdMember === undefined) return { kind: 'new' };
  if (registered?.ready === true || etcdMember?.healthy === true) {
    throw new RefusedError(
      `${node.name} (${node.address}) has not joined, yet the cluster has a ${registered?.ready === true ? 'Ready Node' : 'healthy etcd member'} named ${node.name}: ` +
        `another machine serves under that name. If that is the machine being replaced, stop it: its Node turns NotReady about 40 s after its kubelet stops, and the next apply replaces it; or run \`herd node remove ${ctx.env.name} ${node.name} --address ${node.address}\` first.`,
    );
  }
  const what = [registered !== undefined ? `a Node ${node.name} (NotReady)` : undefined, etcdMember !== undefined ? `an etcd member ${node.name} (unhealthy)` : undefined].filter(Boolean).join(' and ');
  return { kind: 'replace', reason: `the host is new, but the cluster still has ${what} from the machine it replaces`, ...(etcdMember !== undefined ? { etcdMember: etcdMember.id } : {}) };
}
