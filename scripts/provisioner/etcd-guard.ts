import { RefusedError } from './refused.ts';

/** One etcd member as `etcdctl member list` and `endpoint health --cluster` describe it. */
export interface EtcdMember {
  readonly id: string;
  /** Empty for a member that was added but never started (a join that failed half-way). */
  readonly name: string;
  readonly healthy: boolean;
}

/**
 * Reads the output of `etcd-members.sh SELF status`: member list (simple
 * format: "id, status, name, peer URLs, client URLs, is learner"), "---",
 * then one health line per endpoint. A member with no health line counts as
 * unhealthy: nothing vouched for it.
 */
export function parseEtcdStatus(text: string): EtcdMember[] {
  const [list = '', health = ''] = text.split(/^---$/m);
  const healthy = new Set<string>();
  for (const line of health.split('\n')) {
    const m = /^(\S+) is healthy:/.exec(line.trim());
    if (m !== null) healthy.add(m[1]!);
  }
  return list
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', , name = '', , clientUrls = ''] = line.split(', ');
      const urls = clientUrls.split(',').filter((u) => u !== '');
      return { id, name, healthy: urls.length > 0 && urls.every((u) => healthy.has(u)) };
    });
}

const names = (members: readonly EtcdMember[]): string => members.map((m) => m.name || `${m.id} (never started)`).join(', ');
const quorate = (members: readonly EtcdMember[]): boolean => members.filter((m) => m.healthy).length * 2 > members.length;

/**
 * Which etcd members the removal of `node` takes out, in order, or a
 * refusal. The members leaving are `node`'s and those of every control plane
 * the environment no longer wants (a lowered count removes several, one hook
 * each, in whatever order Terraform runs the hooks). The whole sequence is
 * checked before anything is touched: unhealthy leaving members go first
 * (they no longer count towards quorum, and removing them makes the majority
 * easier to reach), and every step, the last included, must leave a healthy
 * majority of the members that remain. This hook removes the unhealthy
 * leaving members and `node`'s own; healthy ones are left to their own hooks,
 * which check again.
 */
export function planMemberRemoval(members: readonly EtcdMember[], node: string, desiredControlPlanes: readonly string[]): EtcdMember[] {
  const own = members.find((m) => m.name === node);
  if (own === undefined) return [];
  const leaving = members.filter((m) => m === own || !desiredControlPlanes.includes(m.name));
  const staying = members.filter((m) => !leaving.includes(m));
  if (staying.length === 0) {
    throw new RefusedError(
      `${node} holds the only copy of the cluster: removing ${names(leaving)} would leave etcd without members, and the cluster's whole state ` +
        `and its CA private key (/etc/kubernetes/pki/ca.key) would go with ${leaving.length === 1 ? 'it' : 'them'}. ` +
        `None of the control planes that stay (${desiredControlPlanes.join(', ')}) is an etcd member: ` +
        `run \`herd apply\` with the current count so that they join, then lower it.`,
    );
  }
  if (!quorate(members)) {
    throw new RefusedError(`etcd has no quorum now: ${members.filter((m) => m.healthy).length} of ${members.length} members are healthy (unhealthy: ${names(members.filter((m) => !m.healthy))}); no member can be removed until it has.`);
  }
  // Healthy members may go in any order (each removal takes one healthy vote); `node` first keeps a refusal about this hook.
  const order = [...leaving.filter((m) => !m.healthy), ...leaving.filter((m) => m.healthy).sort((a, b) => Number(b === own) - Number(a === own))];
  let remaining = [...members];
  for (const member of order) {
    remaining = remaining.filter((m) => m !== member);
    if (!quorate(remaining)) {
      const healthy = remaining.filter((m) => m.healthy);
      throw new RefusedError(
        `removing ${order.slice(0, order.indexOf(member) + 1).map((m) => m.name || m.id).join(' then ')} from etcd would leave ${remaining.length} member${remaining.length === 1 ? '' : 's'} ` +
          `of which ${healthy.length === 0 ? 'none is' : `only ${names(healthy)} ${healthy.length === 1 ? 'is' : 'are'}`} healthy ` +
          `(unhealthy: ${names(remaining.filter((m) => !m.healthy))}): not a majority, so etcd would lose quorum. ` +
          `Bring the unhealthy control plane${remaining.filter((m) => !m.healthy).length === 1 ? '' : 's'} back before removing ${node}.`,
      );
    }
  }
  return [...leaving.filter((m) => !m.healthy && m !== own), own];
}
