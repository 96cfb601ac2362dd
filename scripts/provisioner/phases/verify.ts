import { setTimeout as sleep } from 'node:timers/promises';
import { nodesPeeringWith } from '../../../templates/peer-view.ts';
import { sessionsInsideCluster } from '../../../stacks/topology/cluster-sessions.ts';
import type { Cluster, ClusterNode } from '../../../stacks/topology/topology.ts';
import type { Phase, RunContext } from '../context.ts';
import { issuingControlPlane } from '../cluster-access.ts';
import { readHealth, sessionState, type ClusterHealth } from '../cluster-view.ts';
import { runSteps } from '../run-steps.ts';

const POLL_MS = 2_000;
const NAMES = 12;
const LINES_INSIDE = 12;

/** What is not yet as it should be; empty when the cluster is healthy. */
export function healthProblems(cluster: Cluster, health: ClusterHealth): string[] {
  const found: string[] = [];
  if (!health.readyz) found.push(`the API endpoint ${cluster.apiEndpoint.host}:${cluster.apiEndpoint.port} does not answer /readyz`);
  const notReady = cluster.nodes.filter((n) => health.nodes.get(n.name)?.ready !== true).map((n) => n.name);
  if (notReady.length > 0) found.push(`not Ready: ${notReady.join(', ')}`);
  const peers = cluster.spec.calico.bgp.peers;
  // Without external peers herd does not read BGP (clusterRead): no promise to a router rests on it.
  if (peers.length === 0) return found;
  const state = (node: string, address: string): string => sessionState(health.bgp, node, address);
  for (const peer of peers) {
    const down = nodesPeeringWith(cluster, peer).filter((n) => state(n.name, peer.address) !== 'Established');
    if (down.length > 0) found.push(`BGP to ${peer.name} (${peer.address}) not Established from ${listed(down.map((n) => `${n.name} (${state(n.name, peer.address)})`))}`);
  }
  // Inside the cluster, grouped by the far end as the external peers are: a reflector that is down is one line.
  const inside = new Map<ClusterNode, string[]>();
  for (const { node, peer } of sessionsInsideCluster(cluster)) {
    const s = state(node.name, peer.address);
    if (s === 'Established') continue;
    const from = inside.get(peer) ?? [];
    from.push(`${node.name} (${s})`);
    inside.set(peer, from);
  }
  const lines = cluster.nodes.flatMap((peer) => {
    const from = inside.get(peer);
    return from === undefined ? [] : [`BGP to ${peer.routeReflector ? 'route reflector' : 'node'} ${peer.name} (${peer.address}) not Established from ${listed(from)}`];
  });
  found.push(...lines.slice(0, LINES_INSIDE), ...(lines.length > LINES_INSIDE ? [`${lines.length - LINES_INSIDE} more nodes with sessions inside the cluster not Established`] : []));
  return found;
}

/** At most NAMES of them, then how many more: a dead node of a large mesh is one readable line. */
function listed(items: readonly string[]): string {
  return items.length <= NAMES ? items.join(', ') : `${items.slice(0, NAMES).join(', ')} and ${items.length - NAMES} more`;
}

/** Whether any host ran a command that may have changed it: then the cluster must be read again. */
const changedAnything = (ctx: RunContext): boolean => [...ctx.hosts.values()].some((h) => h.changed);

/**
 * Read-only, on every run: the API answers, every node is Ready, and in an
 * environment with external BGP peers every session that carries the pods'
 * routes is Established: each node's to its peers, and those inside the
 * cluster (the mesh, or the reflectors'), without which a reflector has no
 * route to pass on. Waits a while for a cluster that is still settling, then
 * fails naming what is not as it should be.
 */
export function verify(timeoutMs: number): Phase {
  return {
    title: 'Verify',
    changes: false,
    plan: (ctx) => [{ host: issuingControlPlane(ctx).name, step: 'check the API, nodes Ready, BGP sessions Established (read-only)', because: 'every run checks the cluster it leaves' }],
    run: (ctx, steps) =>
      runSteps(ctx, 'verify', steps, async () => {
        const host = issuingControlPlane(ctx);
        const deadline = Date.now() + timeoutMs;
        // A run that changed nothing checks what its facts read a moment ago, in the same exchange.
        let health = changedAnything(ctx) ? undefined : ctx.clusterView?.health;
        for (;;) {
          const read = health ?? (await readHealth(ctx, host));
          const found = healthProblems(ctx.cluster, read);
          health = undefined;
          if (found.length === 0) {
            ctx.verified = read;
            return;
          }
          if (Date.now() > deadline) throw new Error(`the cluster is not healthy after ${Math.round(timeoutMs / 1000)} s: ${found.join('; ')}`);
          await sleep(POLL_MS);
        }
      }),
  };
}
