import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { knownHostsPath, lookup } from '../ssh/known-hosts.ts';
import { connectNodes, type EnvironmentCredentials } from './connect-hosts.ts';
import type { RunContext } from './context.ts';
import { readClusterView } from './cluster-view.ts';
import { trustedWorkers } from './converged.ts';
import { gatherFacts } from './facts.ts';
import { HostsNotSuitableError, hostProblems } from './host-checks.ts';

const hosts = (n: number): string => `${n} host${n === 1 ? '' : 's'}`;

/**
 * The start of a run: connect, read every reached host's facts (one
 * exchange each), check that the hosts can serve, read the cluster's own
 * view. A full run reaches every node. A narrowed one (`onlyChanged`)
 * reaches the control planes and the workers known_hosts never met (new
 * machines) first; then, from the control planes' record of the last
 * successful apply and the cluster's view, trusts the workers that apply
 * left as the environment wants them now and the cluster still has as it
 * did then (converged.ts), and reaches the others too. Returns the closer of
 * every connection it opened.
 */
export async function reachNodes(ctx: RunContext, credentials: EnvironmentCredentials, options: { readonly onlyChanged: boolean }): Promise<{ close: () => void }> {
  const closers: (() => void)[] = [];
  const close = (): void => closers.forEach((c) => c());
  const reach = async (nodes: readonly ClusterNode[], title?: string): Promise<{ from: string; output: string } | undefined> => {
    const opened = await connectNodes(ctx.env, nodes, credentials, ctx.reporter, ctx.limit, title);
    closers.push(opened.close);
    for (const [name, host] of opened.hosts) ctx.hosts.set(name, host);
    ctx.reporter.phase('Gather facts');
    const probed = await gatherFacts(ctx, nodes);
    const unsuitable = nodes.flatMap((n) => hostProblems(n, ctx.facts.get(n.name)!).map((p) => `${n.name}: ${p}`));
    if (unsuitable.length > 0) throw new HostsNotSuitableError(unsuitable);
    return probed;
  };
  try {
    const { controlPlanes, workers, nodes } = ctx.cluster;
    if (!options.onlyChanged) {
      ctx.clusterView = await readClusterView(ctx, await reach(nodes));
      return { close };
    }
    const knownHosts = knownHostsPath(ctx.env);
    const neverMet = workers.filter((w) => lookup(knownHosts, w.address, ctx.env.spec.ssh.port).length === 0);
    const first = [...controlPlanes, ...neverMet];
    ctx.clusterView = await readClusterView(ctx, await reach(first, `Connect to ${first.length} of ${hosts(nodes.length)}: the control planes and any new machine (--only-changed)`));
    const unseen = workers.filter((w) => !ctx.hosts.has(w.name));
    const trusted = trustedWorkers(ctx, unseen);
    ctx.trusted = trusted;
    if (trusted.size > 0) {
      ctx.reporter.info(undefined, `trusting ${trusted.size} of ${workers.length} workers as the last successful apply left them (a full herd apply checks them)`);
    }
    const rest = unseen.filter((w) => !trusted.has(w.name));
    if (rest.length > 0) await reach(rest, `Connect to ${hosts(rest.length)} more, whose state the last apply does not vouch for`);
    return { close };
  } catch (err) {
    close();
    throw err;
  }
}
