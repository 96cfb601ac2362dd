// Synthesis time against node count: in-process (App.synth of one environment)
// and `npx cdktf synth` wall time, for a 100-node and a 1,000-node vSphere
// environment. The bar: 1,000 nodes take at most 12× as long as 100.
//   npx tsx bench/synth.ts [--runs N] [--skip-cli]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { loadEnvironment } from '../stacks/environment/load.ts';
import { computeCluster } from '../stacks/topology/topology.ts';
import { EnvironmentStack } from '../stacks/environment-stack.ts';
import { PROJECT_DIR } from '../stacks/project.ts';
import { quietTerraformEnv } from '../stacks/terraform-cli.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const skipCli = args.includes('--skip-cli');

/** A prod-like environment of `nodes` nodes: 3 control planes and four worker pools. */
function writeEnvironment(dir: string, name: string, nodes: number): string {
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

function synthOnce(file: string, outdir: string): number {
  const cluster = computeCluster(loadEnvironment(file));
  const start = performance.now();
  const app = new App({ skipValidation: true, outdir });
  new EnvironmentStack(app, cluster.name, { cluster });
  app.synth();
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const work = mkdtempSync(join(tmpdir(), 'herd-bench-synth-'));
try {
  const sizes = [100, 1000] as const;
  const inProcess = new Map<number, number>();
  for (const size of sizes) {
    const dir = mkdtempSync(join(work, `env-${size}-`));
    const file = writeEnvironment(dir, `bench${size}`, size);
    synthOnce(file, join(dir, 'warmup'));
    const times = Array.from({ length: runs }, (_, i) => synthOnce(file, join(dir, `out-${i}`)));
    inProcess.set(size, median(times));
    const json = readFileSync(join(dir, 'out-0', 'stacks', `bench${size}`, 'cdk.tf.json'), 'utf8');
    console.log(`in-process synth, ${size} nodes: median ${median(times).toFixed(0)} ms of ${runs} runs (${(json.length / 1024).toFixed(0)} KiB JSON)`);
  }
  const ratio = inProcess.get(1000)! / inProcess.get(100)!;
  console.log(`ratio 1000/100: ${ratio.toFixed(2)} (bar: ≤ 12)`);

  if (!skipCli) {
    for (const size of sizes) {
      const project = mkdtempSync(join(work, `project-${size}-`));
      for (const entry of ['bin', 'scripts', 'stacks', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc']) {
        cpSync(join(PROJECT_DIR, entry), join(project, entry), { recursive: true });
      }
      symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(project, 'node_modules'));
      const envDir = join(project, 'stacks/environments');
      rmSync(envDir, { recursive: true });
      cpSync(join(PROJECT_DIR, 'stacks/environments/_defaults.yaml'), join(envDir, '_defaults.yaml'), { recursive: true });
      writeEnvironment(envDir, `bench${size}`, size);
      const start = performance.now();
      const r = spawnSync('npx', ['cdktf', 'synth'], { cwd: project, env: quietTerraformEnv(), encoding: 'utf8' });
      const wall = performance.now() - start;
      if (r.status !== 0) throw new Error(`cdktf synth failed for ${size} nodes:\n${r.stdout}\n${r.stderr}`);
      console.log(`npx cdktf synth, ${size} nodes: ${(wall / 1000).toFixed(1)} s wall`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
