// 4. Synthesis against node count: in-process (App.synth of one environment)
// and `npx cdktf synth` wall time, for prod-like vSphere environments.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { loadEnvironment } from '../stacks/environment/load.ts';
import { computeCluster } from '../stacks/topology/topology.ts';
import { EnvironmentStack } from '../stacks/environment-stack.ts';
import { PROJECT_DIR } from '../stacks/project.ts';
import { copyProject } from './lib/project-copy.ts';
import { timedCommand } from './lib/herd-cli.ts';
import { formatSeconds, repeat, timed, type Sample } from './lib/stats.ts';

/** A prod-like environment of `nodes` nodes: 3 control planes and four worker pools. */
export function writeVsphereEnvironment(dir: string, name: string, nodes: number): string {
  cpSync(join(PROJECT_DIR, 'stacks/environments/_defaults.yaml'), join(dir, '_defaults.yaml'));
  const workers = nodes - 3;
  const pools = 4;
  const poolSize = Math.ceil(workers / pools);
  const env = {
    extends: '_defaults.yaml',
    infrastructure: {
      type: 'vsphere', server: 'vcenter.example.com', datacenter: 'dc1', computeCluster: 'cl1', datastoreCluster: 'dsc1',
      folder: 'kubernetes', network: 'pg-k8s', template: 'debian-12-genericcloud',
    },
    network: {
      cidr: '10.64.0.0/16', gateway: '10.64.0.1', dnsServers: ['10.0.0.53'], searchDomains: ['example.com'],
      allocation: { start: '10.64.0.10', end: '10.64.255.250', poolSize: Math.max(poolSize, 1) },
    },
    controlPlane: { count: 3, cpu: 4, memoryMiB: 16384, diskGiB: 80, endpoint: { type: 'loadBalancer', address: '10.64.0.5' } },
    // kube-controller-manager gives every node a /24 of the pod network: a /9 has room for 32,768.
    kubernetes: { podCidr: '10.128.0.0/9' },
    workerPools: Array.from({ length: pools }, (_, i) => ({
      name: `pool-${i + 1}`,
      count: Math.min(poolSize, workers - i * poolSize),
      cpu: 8, memoryMiB: 32768, diskGiB: 100, dataDiskGiB: 200, antiAffinity: i === 0,
    })),
    ssh: { user: 'herd', authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBYilDpGRzc0TNyOc0+pG1jw5VntaRF/qyNEE52DChWj bench'] },
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(env));
  return file;
}

function synthInProcess(file: string, outdir: string): Promise<number> {
  const cluster = computeCluster(loadEnvironment(file));
  return timed(() => {
    const app = new App({ skipValidation: true, outdir });
    new EnvironmentStack(app, cluster.name, { cluster });
    app.synth();
  });
}

export interface SynthOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
}

export async function synthBenchmark(options: SynthOptions): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-synth-'));
  try {
    const rows: { nodes: number; inProcess: Sample; cli: Sample }[] = [];
    for (const nodes of options.sizes) {
      const name = `bsyn${nodes}`;
      const dir = mkdtempSync(join(work, `env-${nodes}-`));
      const file = writeVsphereEnvironment(dir, name, nodes);
      await synthInProcess(file, join(dir, 'warmup'));
      const inProcess = await repeat(options.runs, (i) => synthInProcess(file, join(dir, `out-${i}`)));
      rmSync(dir, { recursive: true, force: true });

      const project = copyProject(join(work, `project-${nodes}`));
      writeVsphereEnvironment(project.environmentsDir, name, nodes);
      const cli = await repeat(options.runs, () => timedCommand('npx', ['cdktf', 'synth'], project.dir));
      rmSync(project.dir, { recursive: true, force: true });
      rows.push({ nodes, inProcess, cli });
    }
    const perNode = (s: Sample, nodes: number): string => `${((s.median / nodes) * 1000).toFixed(2)} ms`;
    const small = rows[0]!;
    const large = rows[rows.length - 1]!;
    return [
      '## 4. Synthesis: prod-like vSphere environments (3 control planes, 4 worker pools)',
      '',
      `Seconds, median (min–max) of ${options.runs} runs (in-process after one warm-up run).`,
      '',
      '| nodes | in-process `App.synth()` | per node | `npx cdktf synth` wall | per node |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.nodes} | ${formatSeconds(r.inProcess)} | ${perNode(r.inProcess, r.nodes)} | ${formatSeconds(r.cli)} | ${perNode(r.cli, r.nodes)} |`),
      '',
      `From ${small.nodes} to ${large.nodes} nodes (${large.nodes / small.nodes}× the nodes), in-process synthesis takes ` +
        `**${(large.inProcess.median / small.inProcess.median).toFixed(1)}×** as long and \`npx cdktf synth\` ` +
        `**${(large.cli.median / small.cli.median).toFixed(1)}×** (its fixed cost, starting the cdktf CLI and tsx, dominates small environments).`,
      '',
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
