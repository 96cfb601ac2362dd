import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KUBECONFIG } from '../../../templates/paths.ts';
import { nodesPeeringWith } from '../../../templates/peer-view.ts';
import type { Phase, RunContext } from '../context.ts';
import { issuingControlPlane } from '../cluster-access.ts';
import type { RemoteHost } from '../remote-host.ts';
import { runSteps } from '../run-steps.ts';

const POLL_MS = 2_000;

interface NodeList {
  items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

interface NodeStatusList {
  items: {
    spec?: { node?: string };
    status?: { agent?: { birdV4?: { state?: string } }; bgp?: { peersV4?: { peerIP?: string; state?: string }[] } };
  }[];
}

async function kubectlJson<T>(host: RemoteHost, args: readonly string[]): Promise<T> {
  const result = await host.mustRun('verify', ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, ...args, '-o', 'json'], { readOnly: true });
  return JSON.parse(result.stdout) as T;
}

/** What is not yet as it should be; empty when the cluster is healthy. */
async function problems(ctx: RunContext, host: RemoteHost): Promise<string[]> {
  const found: string[] = [];
  const readyz = await host.rootCommand(['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, 'get', '--raw', '/readyz'], { readOnly: true });
  if (readyz.code !== 0) found.push(`the API endpoint ${ctx.cluster.apiEndpoint.host}:${ctx.cluster.apiEndpoint.port} does not answer /readyz`);

  const nodes = await kubectlJson<NodeList>(host, ['get', 'nodes']);
  const ready = new Set(nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
  const notReady = ctx.cluster.nodes.filter((n) => !ready.has(n.name)).map((n) => n.name);
  if (notReady.length > 0) found.push(`not Ready: ${notReady.join(', ')}`);

  const peers = ctx.cluster.spec.calico.bgp.peers;
  if (peers.length > 0) {
    const statuses = await kubectlJson<NodeStatusList>(host, ['get', 'caliconodestatuses.projectcalico.org']);
    // Each session's state as the node's calico-node reports it; a node whose BIRD does not answer reports none.
    const sessions = new Map(statuses.items.flatMap((s) => (s.status?.bgp?.peersV4 ?? []).map((p) => [`${s.spec?.node}→${p.peerIP}`, p.state ?? 'unknown'] as const)));
    const birdDown = new Set(statuses.items.filter((s) => s.status?.agent?.birdV4?.state === 'NotReady').map((s) => s.spec?.node));
    const state = (node: string, address: string): string =>
      sessions.get(`${node}→${address}`) ?? (birdDown.has(node) ? "no session: the node's BIRD is not running" : 'no session reported');
    for (const peer of peers) {
      const down = nodesPeeringWith(ctx.cluster, peer).filter((n) => state(n.name, peer.address) !== 'Established');
      if (down.length > 0) found.push(`BGP to ${peer.name} (${peer.address}) not Established from ${down.map((n) => `${n.name} (${state(n.name, peer.address)})`).join(', ')}`);
    }
  }
  return found;
}

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
        for (;;) {
          const found = await problems(ctx, host);
          if (found.length === 0) return;
          if (Date.now() > deadline) throw new Error(`the cluster is not healthy after ${Math.round(timeoutMs / 1000)} s: ${found.join('; ')}`);
          await sleep(POLL_MS);
        }
      }),
  };
}
