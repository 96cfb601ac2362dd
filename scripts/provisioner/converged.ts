import { createHash } from 'node:crypto';
import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { APPLIED_DIR } from '../../templates/paths.ts';
import { knownHostsPath, lookup } from '../ssh/known-hosts.ts';
import { artifactsHash, preparedFiles } from './artifacts.ts';
import type { RegisteredNode } from './cluster-view.ts';
import { hostOf, type RunContext } from './context.ts';
import { upgradeTarget } from './upgrade-plan.ts';

// What the last successful apply left each node at, recorded on every control
// plane, so that `herd apply --only-changed` can leave alone the nodes whose
// desired state did not change since, without reaching them: it contacts the
// control planes (which it reads this from) and the nodes it cannot trust.

/** The record's name among a control plane's applied records (probe.sh reads them all back). */
export const CONVERGED_RECORD = 'converged-nodes';

/** One node as a successful run left it. */
export interface ConvergedNode {
  /** fingerprint(): what the node was brought to. */
  readonly state: string;
  /** Its Node object's uid then: a Node deleted and registered again is another. */
  readonly uid: string;
  /** A digest of the host key herd checked it by then: a machine replaced since has another. */
  readonly hostKey: string;
}

export type ConvergedNodes = Readonly<Record<string, ConvergedNode>>;

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** Everything a worker's own steps are planned from: its rendered files, the versions it runs, its place. */
export function fingerprint(ctx: RunContext, node: ClusterNode): string {
  return digest(JSON.stringify([node.role, node.address, artifactsHash(preparedFiles(ctx.rendered, node.name)), upgradeTarget(ctx)]));
}

/** The digests of the keys the environment's known_hosts holds for the node: what herd would accept from it now. */
function hostKeys(ctx: RunContext, node: ClusterNode): string[] {
  return lookup(knownHostsPath(ctx.env), node.address, ctx.env.spec.ssh.port).map((k) => digest(`${k.type} ${k.key}`));
}

/** The record as the control planes hold it: the first one's that has one (every control plane gets the same). */
export function readConverged(ctx: RunContext): ConvergedNodes | undefined {
  for (const cp of ctx.cluster.controlPlanes) {
    const text = ctx.facts.get(cp.name)?.applied.get(CONVERGED_RECORD);
    if (text === undefined) continue;
    try {
      return JSON.parse(text) as ConvergedNodes;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Why herd cannot leave `node` alone unseen, or undefined when it can: the
 * last successful apply brought it to the state the environment wants now,
 * the cluster still has its Node object as it was then and Ready, and
 * known_hosts still vouches for the machine it reached then.
 */
export function distrust(ctx: RunContext, node: ClusterNode, recorded: ConvergedNode | undefined, registered: RegisteredNode | undefined): string | undefined {
  if (recorded === undefined) return 'no successful apply recorded it';
  if (recorded.state !== fingerprint(ctx, node)) return 'its desired state changed';
  if (registered === undefined) return 'the cluster has no Node of its name';
  if (registered.uid !== recorded.uid) return 'its Node object was registered anew';
  if (!registered.ready) return 'its Node is not Ready';
  if (!hostKeys(ctx, node).includes(recorded.hostKey)) return 'known_hosts no longer holds the host key it had';
  return undefined;
}

/** Workers a narrowed run need not reach: the rest of the cluster's nodes are reached and checked. */
export function trustedWorkers(ctx: RunContext, workers: readonly ClusterNode[]): Set<string> {
  const recorded = readConverged(ctx);
  const view = ctx.clusterView;
  return new Set(workers.filter((w) => distrust(ctx, w, recorded?.[w.name], view?.nodes.get(w.name)) === undefined).map((w) => w.name));
}

/**
 * After a run that succeeded (verify included): every node it reached is at
 * the state it wants now, as the Node objects verify saw; trusted nodes keep
 * their entry; nodes the environment no longer has are dropped. Written to
 * every control plane, one exchange each and all at once, unless it did not
 * change (a converged cluster's apply writes nothing).
 */
export async function recordConverged(ctx: RunContext, nodes: ReadonlyMap<string, RegisteredNode>): Promise<void> {
  const before = readConverged(ctx) ?? {};
  const after: Record<string, ConvergedNode> = {};
  for (const node of ctx.cluster.nodes) {
    const kept = before[node.name];
    if (ctx.trusted?.has(node.name) === true && kept !== undefined) {
      after[node.name] = kept;
      continue;
    }
    const registered = nodes.get(node.name);
    const key = hostKeys(ctx, node)[0];
    if (registered !== undefined && key !== undefined) after[node.name] = { state: fingerprint(ctx, node), uid: registered.uid, hostKey: key };
  }
  const text = JSON.stringify(after);
  if (ctx.cluster.controlPlanes.every((cp) => ctx.facts.get(cp.name)?.applied.get(CONVERGED_RECORD) === text)) return;
  ctx.reporter.phase('Record what converged');
  await Promise.all(
    ctx.cluster.controlPlanes.map((cp) =>
      hostOf(ctx, cp.name).putFiles('record what converged', [{ dest: `${APPLIED_DIR}/${CONVERGED_RECORD}`, content: text, mode: 0o600 }]),
    ),
  );
}
