// 2. Scale-out cost against cluster size: `herd apply` adding one worker to a
// converged lab cluster of 5 nodes and of 50, as `cdktf deploy` runs it
// (--only-changed) and as a full apply that checks every host. Each run adds
// the next worker, so the cluster grows by one per run (5, 6, 7… and 50, 51…).
import type { LabCluster } from './lib/lab-cluster.ts';
import { herdApplyRun } from './lib/herd-cli.ts';
import { formatSeconds, sample, type Sample } from './lib/stats.ts';

export interface AddWorker {
  readonly wall: Sample;
  /** herd's own CPU seconds on this machine (Node.js, tsx, ssh2), not the lab hosts'. */
  readonly cpu: Sample;
  /** The log directory of the last run (its round-trips.json). */
  readonly lastLogDir: string;
}

export const SCALE_OUT_MODES = [
  { flags: ['--only-changed'], name: '`herd apply --only-changed` (what `cdktf deploy` runs)' },
  { flags: [], name: '`herd apply` (checks every host)' },
] as const;

/** Adds one worker `runs` times with these flags; the lab must have `runs` spare hosts. */
export function addWorkerTimes(cluster: LabCluster, runs: number, flags: readonly string[]): AddWorker {
  const wall: number[] = [];
  const cpu: number[] = [];
  let lastLogDir = '';
  for (let i = 0; i < runs; i++) {
    cluster.setWorkers(cluster.workers + 1);
    const r = herdApplyRun(cluster.projectDir, cluster.env, flags);
    wall.push(r.seconds);
    cpu.push(r.cpuSeconds);
    lastLogDir = r.logDir;
    const joined = Object.keys(cluster.lab.clusterState()?.nodes ?? {}).length;
    if (joined !== cluster.workers + 1) throw new Error(`after adding a worker the lab cluster has ${joined} nodes, not ${cluster.workers + 1}`);
  }
  return { wall: sample(wall), cpu: sample(cpu), lastLogDir };
}

export function scaleOutTable(results: readonly { nodes: number; byMode: readonly AddWorker[] }[], runs: number): string[] {
  const small = results[0]!;
  const large = results[results.length - 1]!;
  const ratio = (pick: (a: AddWorker) => Sample, mode: number): string => (pick(large.byMode[mode]!).median / pick(small.byMode[mode]!).median).toFixed(2);
  return [
    '## 2. Scale-out: `herd apply` adding one worker to a converged lab cluster',
    '',
    `Seconds, median (min–max) of ${runs} runs; each run adds the next worker to the same cluster. CPU: herd's own on this machine (its process and children, from /proc), not the lab hosts'.`,
    '',
    `| cluster size before the first add | ${SCALE_OUT_MODES.map((m) => `${m.name}: wall | CPU`).join(' | ')} |`,
    `| --- | ${SCALE_OUT_MODES.map(() => '--- | ---').join(' | ')} |`,
    ...results.map((r) => `| ${r.nodes} nodes | ${r.byMode.map((a) => `${formatSeconds(a.wall)} | ${formatSeconds(a.cpu)}`).join(' | ')} |`),
    `| **ratio ${large.nodes} / ${small.nodes}** | ${SCALE_OUT_MODES.map((_, i) => `**${ratio((a) => a.wall, i)}×** | **${ratio((a) => a.cpu, i)}×**`).join(' | ')} |`,
    '',
    `A ratio near 1 means adding a node costs O(1) in cluster size; ${(large.nodes / small.nodes).toFixed(0)}× would be linear. \`--only-changed\` reaches the control plane and the new machine; ` +
      'the full apply reaches and checks every host (docs/provisioning.md, "Reaching only what changed"). ' +
      'For context, not measured here: Kubespray users report about an hour to add one node to a 1,000-node cluster ' +
      '([kubernetes-sigs/kubespray#10449](https://github.com/kubernetes-sigs/kubespray/issues/10449)).',
    '',
  ];
}
