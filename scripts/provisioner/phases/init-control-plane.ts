import { HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { hostOf, type Phase } from '../context.ts';
import { servingControlPlane } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';
import { RefusedError } from '../refused.ts';
import { CONTROL_PLANE_IMAGES_MIB } from '../space.ts';

/** `kubeadm init` on the first control plane, when no control plane serves the API yet. */
export const initControlPlane: Phase = {
  title: 'Initialise the first control plane',
  changes: true,
  plan: (ctx) => {
    if (servingControlPlane(ctx) !== undefined) return [];
    // A cluster answers, yet counts none of these control planes as its own: a second init would split it.
    if (ctx.clusterView !== undefined) {
      throw new RefusedError(
        `the cluster answers on ${ctx.clusterView.from}, but none of ${ctx.cluster.controlPlanes.map((cp) => cp.name).join(', ')} is its member (no Node object or etcd member): ` +
          `herd will not initialise a second cluster beside it. Reset the control planes (\`herd reset ${ctx.env.name}\`) to start anew, or bring back a control plane the cluster still has.`,
      );
    }
    return [{ host: ctx.rendered.cluster.firstControlPlane, step: `run ${SCRIPTS.initControlPlane} (kubeadm init)`, because: 'no control plane serves the API yet (none has admin.conf and a kube-apiserver manifest)' }];
  },
  spaceNeeded: () => [{ path: '/var/lib', mib: CONTROL_PLANE_IMAGES_MIB, why: "the control plane's images and etcd's data" }],
  run: (ctx, steps) =>
    runSteps(ctx, 'init', steps, async ({ host }) => {
      await hostOf(ctx, host).mustRun(SCRIPTS.initControlPlane, ['bash', `${HERD_DIR}/${SCRIPTS.initControlPlane}`]);
    }),
};
