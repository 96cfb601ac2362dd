import { APPLIED_DIR, HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { factsOf, hostOf, type Phase, type RunContext } from '../context.ts';
import { artifactsHash, preparedFiles, toNodeFiles } from '../artifacts.ts';
import { runSteps } from '../run-steps.ts';
import { PACKAGES_MIB, uploadNeeds } from '../space.ts';

const STEP = 'prepare';

const desired = (ctx: RunContext, name: string): string => artifactsHash(preparedFiles(ctx.rendered, name));

/** The record that says a node is prepared as the environment wants it. */
export const preparedRecord = (ctx: RunContext, name: string): Record<string, string> => ({ [STEP]: desired(ctx, name) });

/** Uploads each node's files and runs prepare-node.sh where what was rendered differs from what was last applied there. */
export const prepareNodes: Phase = {
  title: 'Prepare nodes',
  changes: true,
  plan: (ctx) =>
    ctx.cluster.nodes
      .filter((node) => factsOf(ctx, node.name).applied.get(STEP) !== desired(ctx, node.name))
      .map((node) => ({
        host: node.name,
        step: `upload ${preparedFiles(ctx.rendered, node.name).length} files, run ${SCRIPTS.prepareNode}`,
        because: factsOf(ctx, node.name).applied.has(STEP)
          ? `the files rendered for it changed since it was last prepared (${APPLIED_DIR}/${STEP})`
          : `it was never prepared by herd (no ${APPLIED_DIR}/${STEP})`,
      })),
  spaceNeeded: (ctx, { host }) => [
    ...uploadNeeds(preparedFiles(ctx.rendered, host)),
    ...(factsOf(ctx, host).packages.has('kubelet') ? [] : [{ path: '/var/lib', mib: PACKAGES_MIB, why: 'the Kubernetes and containerd packages' } as const]),
  ],
  run: (ctx, steps) =>
    runSteps(ctx, 'prepare', steps, async ({ host: name }) => {
      const host = hostOf(ctx, name);
      await host.putFiles(STEP, toNodeFiles(preparedFiles(ctx.rendered, name)));
      await host.mustRun(SCRIPTS.prepareNode, ['bash', `${HERD_DIR}/${SCRIPTS.prepareNode}`]);
      await host.recordApplied(preparedRecord(ctx, name));
    }),
};
