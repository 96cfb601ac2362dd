import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { hostOf, type Phase, type PlannedStep, type RunContext } from '../context.ts';
import { issueJoinCredentials, issuingControlPlane, runWithSecrets, servingControlPlane, type JoinRole } from '../cluster-access.ts';
import { clusterScript, toNodeFiles } from '../artifacts.ts';
import { membershipOf, type Membership } from '../membership.ts';
import { preparedRecord } from './prepare-nodes.ts';
import { runSteps } from '../run-steps.ts';
import { CONTROL_PLANE_IMAGES_MIB, WORKER_IMAGES_MIB } from '../space.ts';

/** Nodes that must join, each with what the cluster's view says must happen first. */
function joining(ctx: RunContext, nodes: readonly ClusterNode[]): { node: ClusterNode; membership: Membership }[] {
  // The control plane that init runs on is not joined; every other node is.
  const initTarget = servingControlPlane(ctx) === undefined ? ctx.rendered.cluster.firstControlPlane : undefined;
  return nodes
    .filter((n) => n.name !== initTarget)
    .map((node) => ({ node, membership: membershipOf(ctx, node) }))
    .filter(({ membership }) => membership.kind !== 'member');
}

function stepText(membership: Membership, script: string, issuer: string): string {
  const join = `run ${script} (kubeadm join)`;
  if (membership.kind === 'rejoin') return `reset (${membership.reason}), then ${join}`;
  if (membership.kind === 'replace') return `remove the stale member on ${issuer} (${membership.reason}), then ${join}`;
  return join;
}

/** What the cluster's view asks for before the join: the host reset, or its predecessor's traces removed. */
async function repair(ctx: RunContext, node: ClusterNode, membership: Membership): Promise<void> {
  if (membership.kind === 'rejoin') {
    const host = hostOf(ctx, node.name);
    ctx.reporter.info(node.name, `resetting: ${membership.reason}`);
    await host.putFiles(SCRIPTS.resetNode, toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.resetNode)]));
    await host.mustRun(SCRIPTS.resetNode, ['bash', `${HERD_DIR}/${SCRIPTS.resetNode}`]);
    // kubeadm reset leaves packages and settings: the node is as prepared as before.
    await host.recordApplied(preparedRecord(ctx, node.name));
  } else if (membership.kind === 'replace') {
    const issuer = issuingControlPlane(ctx);
    ctx.reporter.info(issuer.name, `removing what the cluster keeps of ${node.name}'s predecessor: ${membership.reason}`);
    await issuer.putFiles('upload removal scripts', toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.removeNode)]));
    // No drain: the machine those pods ran on is gone. etcd is changed through the issuer's own member.
    await issuer.mustRun(SCRIPTS.removeNode, ['bash', `${HERD_DIR}/${SCRIPTS.removeNode}`, node.name, issuer.name, '0']);
  }
}

function joinPhase(title: string, role: JoinRole, nodesOf: (ctx: RunContext) => readonly ClusterNode[]): Phase {
  // Every control plane has the join script, the first one included: a replaced first control plane joins the others.
  const script = role === 'control-plane' ? SCRIPTS.joinControlPlane : SCRIPTS.joinWorker;
  return {
    title,
    changes: true,
    plan: (ctx) =>
      joining(ctx, nodesOf(ctx)).map((j) => ({
        host: j.node.name,
        step: stepText(j.membership, script, issuingControlPlane(ctx).name),
        because: 'reason' in j.membership ? j.membership.reason : 'it has not joined (no kubelet.conf), and the cluster has no member of its name',
      })),
    spaceNeeded: () => [
      role === 'control-plane'
        ? { path: '/var/lib', mib: CONTROL_PLANE_IMAGES_MIB, why: "the control plane's images and etcd's data" }
        : { path: '/var/lib', mib: WORKER_IMAGES_MIB, why: "a worker's images" },
      { path: '/run', mib: 1, why: 'the join secrets' },
    ],
    run: async (ctx, steps) => {
      // The plan's facts and cluster view, read again: planning is pure, so this is what was planned.
      const planned = new Map(joining(ctx, nodesOf(ctx)).map((j) => [j.node.name, j]));
      const membership = (step: PlannedStep): Membership['kind'] | undefined => planned.get(step.host)?.membership.kind;
      const prepared = async (step: PlannedStep): Promise<void> => {
        const j = planned.get(step.host);
        if (j !== undefined) await repair(ctx, j.node, j.membership);
      };
      if (role === 'control-plane') {
        // etcd grows one member at a time; each joins with credentials issued just for it.
        await runSteps(ctx, 'join', steps, async (step) => {
          await prepared(step);
          const credentials = await issueJoinCredentials(ctx, role);
          await runWithSecrets(hostOf(ctx, step.host), script, credentials);
        }, 'one at a time');
        return;
      }
      // Predecessors' Node objects go one at a time on the issuer, before any worker joins.
      for (const step of steps) if (membership(step) === 'replace') await prepared(step);
      // Workers share one short-lived token: one command on the control plane however many join.
      const credentials = await issueJoinCredentials(ctx, role);
      await runSteps(ctx, 'join', steps, async (step) => {
        if (membership(step) === 'rejoin') await prepared(step);
        await runWithSecrets(hostOf(ctx, step.host), script, credentials);
      });
    },
  };
}

export const joinControlPlanes = joinPhase('Join control planes, one at a time', 'control-plane', (ctx) => ctx.cluster.controlPlanes);
export const joinWorkers = joinPhase('Join workers', 'worker', (ctx) => ctx.cluster.workers);
