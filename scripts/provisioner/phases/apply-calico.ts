import { createHash } from 'node:crypto';
import { ADMIN_KUBECONFIG, CALICO_DIR, HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS, type Artifact } from '../../../templates/render.ts';
import { factsOf, type Phase, type PlannedStep, type RunContext } from '../context.ts';
import { artifactsHash, calicoClusterFiles, calicoNodeFiles, toNodeFiles } from '../artifacts.ts';
import { issuingControlPlane, runWithSecrets } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';
import { parseNodeList } from '../cluster-view.ts';
import { uploadNeeds } from '../space.ts';
import { membershipOf } from '../membership.ts';
import type { RemoteHost } from '../remote-host.ts';

const CLUSTER_STEP = 'calico';
const nodeStep = (node: string): string => `calico-node-${node}`;

/**
 * Calico's cluster-wide desired state includes the BGP passwords, so that a
 * rotated password is applied; only a digest of them enters the recorded hash,
 * which lives in a root-only file on a control plane that holds them anyway.
 */
function clusterHash(ctx: RunContext): string {
  const digests = Object.entries(ctx.secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}:${createHash('sha256').update(value).digest('hex')}`);
  return artifactsHash(calicoClusterFiles(ctx.rendered), digests);
}

/**
 * A node's objects as applied to one Node object: deleting a Node (a node
 * removed and joined again) drops the labels and annotations herd set on it,
 * and the new object has a new uid, so the record no longer matches.
 */
const nodeHash = (file: Artifact, uid: string | undefined): string => artifactsHash([file], [uid ?? '']);

/**
 * Nodes whose own Calico objects differ from what was last applied to their
 * Node object, and nodes that join in this run: their Node object is new.
 */
function changedNodes(ctx: RunContext, host: string): string[] {
  const applied = factsOf(ctx, host).applied;
  const uid = (node: string): string | undefined => ctx.clusterView?.nodes.get(node)?.uid;
  const joining = new Set(ctx.cluster.nodes.filter((n) => membershipOf(ctx, n).kind !== 'member').map((n) => n.name));
  return [...calicoNodeFiles(ctx.rendered)].filter(([node, file]) => joining.has(node) || applied.get(nodeStep(node)) !== nodeHash(file, uid(node))).map(([node]) => node);
}

/** The records of the nodes just applied, against the Node objects they were applied to. */
async function nodeRecords(ctx: RunContext, host: RemoteHost, nodes: readonly string[]): Promise<Record<string, string>> {
  const listed = await host.mustRun('read the Node objects', ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, 'get', 'nodes', '-o', 'json'], { readOnly: true });
  const registered = parseNodeList(listed.stdout);
  const files = calicoNodeFiles(ctx.rendered);
  return Object.fromEntries(nodes.map((n) => [nodeStep(n), nodeHash(files.get(n)!, registered.get(n)?.uid)]));
}

/**
 * Calico's operator, Installation and BGP resources (with the BGP password
 * Secret filled on the node) when they changed; otherwise only the objects of
 * nodes that are new or changed, so that adding a worker touches nothing else.
 */
export const applyCalico: Phase = {
  title: 'Apply Calico and BGP',
  changes: true,
  plan: (ctx) => {
    const host = issuingControlPlane(ctx).name;
    if (factsOf(ctx, host).applied.get(CLUSTER_STEP) !== clusterHash(ctx)) {
      const because = factsOf(ctx, host).applied.has(CLUSTER_STEP)
        ? `Calico's resources or a BGP password changed since they were last applied from ${host}`
        : `${host} has not applied Calico's resources yet`;
      return [{ host, step: `run ${SCRIPTS.applyCalico}`, because }];
    }
    const nodes = changedNodes(ctx, host);
    const because = `these nodes' own objects are new or changed, or their Node objects were registered anew: ${nodes.join(', ')}`;
    return nodes.length === 0 ? [] : [{ host, step: `run ${SCRIPTS.applyCalico} ${nodes.join(' ')}`, forNodes: nodes, because }];
  },
  spaceNeeded: (ctx) => uploadNeeds([...calicoClusterFiles(ctx.rendered), ...calicoNodeFiles(ctx.rendered).values()]),
  run: (ctx, steps) =>
    runSteps(ctx, 'calico', steps, async ({ forNodes: nodes }: PlannedStep) => {
      const host = issuingControlPlane(ctx);
      const nodeFiles = calicoNodeFiles(ctx.rendered);
      if (nodes === undefined) {
        // Files of nodes that are gone must not be applied again.
        await host.removeDir('remove stale node files', `${CALICO_DIR}/nodes`);
        await host.putFiles(CLUSTER_STEP, toNodeFiles([...calicoClusterFiles(ctx.rendered), ...nodeFiles.values()]));
        await runWithSecrets(host, SCRIPTS.applyCalico, ctx.secrets);
        await host.recordApplied({ [CLUSTER_STEP]: clusterHash(ctx), ...(await nodeRecords(ctx, host, [...nodeFiles.keys()])) });
        return;
      }
      await host.putFiles(CLUSTER_STEP, toNodeFiles(nodes.map((n) => nodeFiles.get(n)!)));
      await host.mustRun(SCRIPTS.applyCalico, ['bash', `${HERD_DIR}/${SCRIPTS.applyCalico}`, ...nodes]);
      await host.recordApplied(await nodeRecords(ctx, host, nodes));
    }),
};
