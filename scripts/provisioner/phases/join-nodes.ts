import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { factsOf, hostOf, type Phase, type RunContext } from '../context.ts';
import { issueJoinCredentials, runWithSecrets, servingControlPlane, type JoinRole } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';

function hasJoined(ctx: RunContext, node: ClusterNode): boolean {
  const files = factsOf(ctx, node.name).files;
  return files.has('/etc/kubernetes/kubelet.conf') && (node.role === 'worker' || files.has('/etc/kubernetes/manifests/kube-apiserver.yaml'));
}

function missing(ctx: RunContext, nodes: readonly ClusterNode[]): ClusterNode[] {
  // The control plane that init runs on is not joined; every other node is.
  const initTarget = servingControlPlane(ctx) === undefined ? ctx.rendered.cluster.firstControlPlane : undefined;
  return nodes.filter((n) => n.name !== initTarget && !hasJoined(ctx, n));
}

function joinPhase(title: string, role: JoinRole, nodesOf: (ctx: RunContext) => readonly ClusterNode[]): Phase {
  // Every control plane has the join script, the first one included: a replaced first control plane joins the others.
  const script = role === 'control-plane' ? SCRIPTS.joinControlPlane : SCRIPTS.joinWorker;
  return {
    title,
    changes: true,
    plan: (ctx) => missing(ctx, nodesOf(ctx)).map((n) => ({ host: n.name, step: `run ${script} (kubeadm join)` })),
    run: async (ctx, steps) => {
      if (role === 'control-plane') {
        // etcd grows one member at a time; each joins with credentials issued just for it.
        await runSteps(ctx, 'join', steps, async ({ host }) => {
          const credentials = await issueJoinCredentials(ctx, role);
          await runWithSecrets(hostOf(ctx, host), script, credentials);
        }, 'one at a time');
        return;
      }
      // Workers share one short-lived token: one command on the control plane however many join.
      const credentials = await issueJoinCredentials(ctx, role);
      await runSteps(ctx, 'join', steps, ({ host }) => runWithSecrets(hostOf(ctx, host), script, credentials));
    },
  };
}

export const joinControlPlanes = joinPhase('Join control planes, one at a time', 'control-plane', (ctx) => ctx.cluster.controlPlanes);
export const joinWorkers = joinPhase('Join workers', 'worker', (ctx) => ctx.cluster.workers);
