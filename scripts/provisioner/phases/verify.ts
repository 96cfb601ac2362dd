import { setTimeout as sleep } from 'node:timers/promises';
import { nodesPeeringWith } from '../../../templates/peer-view.ts';
import type { Phase, RunContext } from '../context.ts';
import { issuingControlPlane } from '../cluster-access.ts';
import { readHealth, sessionState, type ClusterHealth } from '../cluster-view.ts';
import { runSteps } from '../run-steps.ts';

const POLL_MS = 2_000;

/** What is not yet as it should be; empty when the cluster is healthy. */
function problems(ctx: RunContext, health: ClusterHealth): string[] {
  const found: string[] = [];
  if (!health.readyz) found.push(`the API endpoint ${ctx.cluster.apiEndpoint.host}:${ctx.cluster.apiEndpoint.port} does not answer /readyz`);
  const notReady = ctx.cluster.nodes.filter((n) => health.nodes.get(n.name)?.ready !== true).map((n) => n.name);
  if (notReady.length > 0) found.push(`not Ready: ${notReady.join(', ')}`);
  for (const peer of ctx.cluster.spec.calico.bgp.peers) {
    const state = (node: string): string => sessionState(health.bgp, node, peer.address);
    const down = nodesPeeringWith(ctx.cluster, peer).filter((n) => state(n.name) !== 'Established');
    if (down.length > 0) found.push(`BGP to ${peer.name} (${peer.address}) not Established from ${down.map((n) => `${n.name} (${state(n.name)})`).join(', ')}`);
  }
  return found;
}

/** Whether any host ran a command that may have changed it: then the cluster must be read again. */
const changedAnything = (ctx: RunContext): boolean => [...ctx.hosts.values()].some((h) => h.changed);

/**
 * Read-only, on every run: the API answers, every node is Ready, every
 * configured external BGP session is Established. Waits a while for a cluster
 * that is still settling, then fails naming what is not as it should be.
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
          const found = problems(ctx, read);
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
