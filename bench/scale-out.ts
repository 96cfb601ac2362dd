// 2. Scale-out cost against cluster size: `herd apply` adding one worker to a
// converged lab cluster of 5 nodes and of 50. Each run adds the next worker,
// so the cluster grows by one per run (5, 6, 7… and 50, 51, 52…).
import type { LabCluster } from './lib/lab-cluster.ts';
import { herdApply } from './lib/herd-cli.ts';
import { formatSeconds, sample, type Sample } from './lib/stats.ts';

/** Adds one worker `runs` times; the lab must have `runs` spare hosts. */
export function addWorkerTimes(cluster: LabCluster, runs: number): Sample {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    cluster.setWorkers(cluster.workers + 1);
    times.push(herdApply(cluster.projectDir, cluster.env));
    const joined = Object.keys(cluster.lab.clusterState()?.nodes ?? {}).length;
    if (joined !== cluster.workers + 1) throw new Error(`after adding a worker the lab cluster has ${joined} nodes, not ${cluster.workers + 1}`);
  }
  return sample(times);
}

export function scaleOutTable(results: readonly { nodes: number; sample: Sample }[]): string[] {
  const small = results[0]!;
  const large = results[results.length - 1]!;
  return [
    '## 2. Scale-out: `herd apply` adding one worker to a converged lab cluster',
    '',
    `Seconds, median (min–max) of ${small.sample.runs.length} runs; each run adds the next worker to the same cluster.`,
    '',
    '| cluster size before the first add | seconds to add one worker |',
    '| --- | --- |',
    ...results.map((r) => `| ${r.nodes} nodes | ${formatSeconds(r.sample)} |`),
    `| **ratio ${large.nodes} / ${small.nodes}** | **${(large.sample.median / small.sample.median).toFixed(2)}×** |`,
    '',
    `A ratio near 1 means adding a node costs O(1) in cluster size; ${large.nodes / small.nodes}× would be linear. ` +
      'For context, not measured here: Kubespray users report about an hour to add one node to a 1,000-node cluster ' +
      '([kubernetes-sigs/kubespray#10449](https://github.com/kubernetes-sigs/kubespray/issues/10449)).',
    '',
  ];
}
