import { HERD_DIR } from '../../../templates/paths.ts';
import { SCRIPTS } from '../../../templates/render.ts';
import { clusterScript, toNodeFiles } from '../artifacts.ts';
import { issuingControlPlane } from '../cluster-access.ts';
import { hostOf, type Phase, type PlannedStep, type RunContext } from '../context.ts';
import type { RemoteHost } from '../remote-host.ts';
import { runSteps } from '../run-steps.ts';
import { PACKAGES_MIB, type SpaceNeed } from '../space.ts';
import { UPGRADE_FINISHED, UPGRADE_STARTED, describeUpgrade, pendingUpgrades, upgradeTarget, workerBatches, type NodeUpgrade } from '../upgrade-plan.ts';

/** How long an upgraded node may take to be Ready again before it is left cordoned and the run stops. */
const READY_TIMEOUT_SECONDS = 300;
/** Beyond the drain's own limit, for kubectl to report and exit before the node kills it. */
const DRAIN_GRACE_SECONDS = 30;

const script = (name: string): string => `${HERD_DIR}/${name}`;

const upgradeSpace = (): SpaceNeed[] => [{ path: '/var/lib', mib: PACKAGES_MIB, why: "the new versions' packages and images" }];

/**
 * One node, in kubeadm's documented order: kubeadm and `kubeadm upgrade`, drain
 * (from a serving control plane), kubelet/kubectl/containerd, uncordon once
 * Ready. The markers around it let a stopped run resume this node, and the
 * script's own marker keeps `kubeadm upgrade` from running twice.
 */
async function upgradeNode(ctx: RunContext, drainer: RemoteHost, upgrade: NodeUpgrade): Promise<void> {
  const name = upgrade.node.name;
  const host = hostOf(ctx, name);
  const target = upgradeTarget(ctx);
  const drainTimeout = ctx.cluster.spec.upgrade.drainTimeoutSeconds;
  await host.putFiles('upload upgrade-node.sh', toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.upgradeNode)]));
  await host.recordApplied({ [UPGRADE_STARTED]: target });
  if (upgrade.kubeadm !== undefined) await host.mustRun(SCRIPTS.upgradeNode, ['bash', script(SCRIPTS.upgradeNode), 'kubeadm', upgrade.kubeadm]);
  await drainer.mustRun(`drain ${name}`, ['bash', script(SCRIPTS.drainNode), 'drain', name, String(drainTimeout)], { timeoutSeconds: drainTimeout + DRAIN_GRACE_SECONDS });
  await host.mustRun(SCRIPTS.upgradeNode, ['bash', script(SCRIPTS.upgradeNode), 'packages']);
  await drainer.mustRun(`uncordon ${name}`, ['bash', script(SCRIPTS.drainNode), 'uncordon', name, String(READY_TIMEOUT_SECONDS)], {
    timeoutSeconds: READY_TIMEOUT_SECONDS + DRAIN_GRACE_SECONDS,
  });
  await host.recordApplied({ [UPGRADE_FINISHED]: target });
  ctx.reporter.info(name, `upgraded: ${target}`);
}

async function withDrainer(ctx: RunContext, act: (drainer: RemoteHost, byName: Map<string, NodeUpgrade>) => Promise<void>): Promise<void> {
  const drainer = issuingControlPlane(ctx);
  await drainer.putFiles('upload drain-node.sh', toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.drainNode)]));
  await act(drainer, new Map(pendingUpgrades(ctx).map((u) => [u.node.name, u])));
}

function step(ctx: RunContext, u: NodeUpgrade, batch?: { index: number; of: number }): PlannedStep {
  const what = describeUpgrade(u, ctx.cluster.spec.kubernetes.version);
  const because = [
    ...(u.kubernetes !== undefined ? [`it runs kubelet ${u.kubernetes.from}, the environment wants ${u.kubernetes.to}`] : []),
    ...(u.containerd !== undefined ? [`it runs containerd ${u.containerd.from}, the environment wants ${u.containerd.to}`] : []),
    ...(u.resuming ? ['a run that began its upgrade stopped before it was done'] : []),
  ].join('; ');
  return batch === undefined ? { host: u.node.name, step: what, because } : { host: u.node.name, step: `batch ${batch.index + 1} of ${batch.of}: ${what}`, batch: batch.index, because };
}

/** Control planes first, one at a time, so that etcd and the API never lose more than one member. */
export const upgradeControlPlanes: Phase = {
  title: 'Upgrade control planes, one at a time',
  changes: true,
  plan: (ctx) => pendingUpgrades(ctx).filter((u) => u.node.role === 'controlPlane').map((u) => step(ctx, u)),
  spaceNeeded: upgradeSpace,
  run: (ctx, steps) =>
    withDrainer(ctx, (drainer, byName) => runSteps(ctx, 'upgrade', steps, ({ host }) => upgradeNode(ctx, drainer, byName.get(host)!), 'one at a time')),
};

/** Then workers, in batches per pool (upgrade.workerBatchSize); a batch is Ready and uncordoned before the next is drained. */
export const upgradeWorkers: Phase = {
  title: 'Upgrade workers, in batches',
  changes: true,
  plan: (ctx) => {
    const batches = workerBatches(ctx, pendingUpgrades(ctx));
    return batches.flatMap((batch, index) => batch.map((u) => step(ctx, u, { index, of: batches.length })));
  },
  spaceNeeded: upgradeSpace,
  run: (ctx, steps) =>
    withDrainer(ctx, async (drainer, byName) => {
      const batchCount = Math.max(-1, ...steps.map((s) => s.batch ?? 0)) + 1;
      for (let batch = 0; batch < batchCount; batch++) {
        await runSteps(ctx, 'upgrade', steps.filter((s) => s.batch === batch), ({ host }) => upgradeNode(ctx, drainer, byName.get(host)!));
      }
    }),
};
