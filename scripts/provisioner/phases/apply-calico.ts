import { createHash } from 'node:crypto';
import { SCRIPTS } from '../../../templates/render.ts';
import { factsOf, type Phase, type RunContext } from '../context.ts';
import { artifactsHash, calicoFiles, toNodeFiles } from '../artifacts.ts';
import { issuingControlPlane, runWithSecrets } from '../cluster-access.ts';
import { runSteps } from '../run-steps.ts';

const STEP = 'calico';

/**
 * Calico's desired state includes the BGP passwords, so that a rotated password
 * is applied; only a digest of them enters the recorded hash, which lives in a
 * root-only file on a control plane that holds the passwords anyway.
 */
function desired(ctx: RunContext): string {
  const digests = Object.entries(ctx.secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}:${createHash('sha256').update(value).digest('hex')}`);
  return artifactsHash(calicoFiles(ctx.rendered), digests);
}

/** Calico's operator, Installation and BGP resources, with the BGP password Secret filled on the node. */
export const applyCalico: Phase = {
  title: 'Apply Calico and BGP',
  changes: true,
  plan: (ctx) => {
    const host = issuingControlPlane(ctx).name;
    return factsOf(ctx, host).applied.get(STEP) === desired(ctx) ? [] : [{ host, step: `run ${SCRIPTS.applyCalico}` }];
  },
  run: (ctx, steps) =>
    runSteps(ctx, 'calico', steps, async () => {
      const host = issuingControlPlane(ctx);
      await host.putFiles(STEP, toNodeFiles(calicoFiles(ctx.rendered)));
      await runWithSecrets(host, SCRIPTS.applyCalico, ctx.secrets);
      await host.recordApplied(STEP, desired(ctx));
    }),
};
