import { createHash } from 'node:crypto';
import { ADMIN_KUBECONFIG, APPLIED_DIR, CALICO_DIR, HERD_DIR, SECRETS_DIR } from '../../../templates/paths.ts';
import { SCRIPTS, type Artifact } from '../../../templates/render.ts';
import { factsOf, type Phase, type PlannedStep, type RunContext } from '../context.ts';
import { artifactsHash, calicoClusterFiles, calicoNodeFiles, toNodeFiles } from '../artifacts.ts';
import { issuingControlPlane } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';
import { uploadNeeds } from '../space.ts';
import { membershipOf } from '../membership.ts';

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
 * and the new object has a new uid, so the record no longer matches. The
 * record is "<digest of the file> <uid>": the node writes it, with the uid
 * it reads right after applying (a node that just joined has a uid herd has
 * not seen yet).
 */
const nodeRecord = (file: Artifact, uid: string | undefined): string => `${artifactsHash([file])} ${uid ?? ''}`;

/**
 * Nodes whose own Calico objects differ from what was last applied to their
 * Node object, and nodes that join in this run: their Node object is new.
 */
function changedNodes(ctx: RunContext, host: string): string[] {
  const applied = factsOf(ctx, host).applied;
  const uid = (node: string): string | undefined => ctx.clusterView?.nodes.get(node)?.uid;
  const joining = new Set(ctx.cluster.nodes.filter((n) => membershipOf(ctx, n).kind !== 'member').map((n) => n.name));
  return [...calicoNodeFiles(ctx.rendered)].filter(([node, file]) => joining.has(node) || applied.get(nodeStep(node)) !== nodeRecord(file, uid(node))).map(([node]) => node);
}

/**
 * `herd-calico SCRIPT ALL|NODES [NODE RECORD DIGEST]…`: apply-calico.sh (for
 * every node, or for the nodes given), then each node's record, "<digest>
 * <uid>", with the uid of the Node object as the API has it now: in the same
 * exchange, so that a new node's record needs no second one.
 */
const APPLY_AND_RECORD = `set -u
script=$1 scope=$2
shift 2
nodes=() records=() digests=()
while [ $# -gt 0 ]; do nodes+=("$1"); records+=("$2"); digests+=("$3"); shift 3; done
if [ "$scope" = all ]; then bash "$script" || exit $?; else bash "$script" "\${nodes[@]}" || exit $?; fi
uids=$(kubectl --kubeconfig ${ADMIN_KUBECONFIG} get nodes -o custom-columns=NAME:.metadata.name,UID:.metadata.uid --no-headers) || exit $?
mkdir -p ${APPLIED_DIR} || exit 1
for i in "\${!nodes[@]}"; do
  uid=$(awk -v node="\${nodes[i]}" '$1 == node { print $2 }' <<<"$uids")
  record=${APPLIED_DIR}/\${records[i]}
  printf '%s %s' "\${digests[i]}" "$uid" >"$record.tmp" && mv "$record.tmp" "$record" || exit 1
done`;

function applyAndRecord(ctx: RunContext, nodes: readonly string[] | 'all'): string[] {
  const files = calicoNodeFiles(ctx.rendered);
  const names = nodes === 'all' ? [...files.keys()] : nodes;
  return ['bash', '-c', APPLY_AND_RECORD, 'herd-calico', `${HERD_DIR}/${SCRIPTS.applyCalico}`, nodes === 'all' ? 'all' : 'nodes', ...names.flatMap((n) => [n, nodeStep(n), artifactsHash([files.get(n)!])])];
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
        await host.step(SCRIPTS.applyCalico, {
          clear: [`${CALICO_DIR}/nodes`],
          files: toNodeFiles([...calicoClusterFiles(ctx.rendered), ...nodeFiles.values()]),
          argv: applyAndRecord(ctx, 'all'),
          secrets: { dir: SECRETS_DIR, values: ctx.secrets },
          records: { [CLUSTER_STEP]: clusterHash(ctx) },
        });
        return;
      }
      await host.step(SCRIPTS.applyCalico, { files: toNodeFiles(nodes.map((n) => nodeFiles.get(n)!)), argv: applyAndRecord(ctx, nodes) });
    }),
};
