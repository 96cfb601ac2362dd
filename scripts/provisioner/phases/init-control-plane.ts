import { HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { hostOf, type Phase } from '../context.ts';
import { servingControlPlane } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';

/** `kubeadm init` on the first control plane, when no control plane serves the API yet. */
export const initControlPlane: Phase = {
  title: 'Initialise the first control plane',
  changes: true,
  plan: (ctx) => (servingControlPlane(ctx) === undefined ? [{ host: ctx.rendered.cluster.firstControlPlane, step: `run ${SCRIPTS.initControlPlane} (kubeadm init)` }] : []),
  run: (ctx, steps) =>
    runSteps(ctx, 'init', steps, async ({ host }) => {
      await hostOf(ctx, host).mustRun(SCRIPTS.initControlPlane, ['bash', `${HERD_DIR}/${SCRIPTS.initControlPlane}`]);
    }),
};
