// 6. The cost of `herd preflight`: round trips to vCenter and time per step,
// for an environment of 15 and of 500 VMs that all exist already (each
// counted once, each one's disks read), against VMware's vCenter simulator,
// adding one worker; once with vcsim answering at once, once 20 ms away.
//
//   npx tsx bench/preflight.ts [--runs 5] [--sizes 15,500]   # standalone, prints the table
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadEnvironment } from '../stacks/environment/load.ts';
import { PROJECT_DIR } from '../stacks/project.ts';
import { startVcsim, type VcsimHost, type VcsimModel, type VcsimVm } from '../scripts/lab/vcsim/vcsim.ts';
import { preflight, type PreflightReport } from '../scripts/vsphere/preflight.ts';
import { sample, type Sample } from './lib/stats.ts';

const ADDRESS = '127.44.1.1';
const USER = 'bench@vsphere.local';
const PASSWORD = 'bench-password';
const ENV = 'bench';

/** An environment of `vms` VMs (3 control planes, one pool) whose VMs all run in its folder; the file asks for one worker more. */
function inventory(vms: number, delayMs: number): VcsimModel {
  const hosts = Math.max(4, Math.ceil((vms * 2) / 48) + 1);
  const host = (i: number): VcsimHost => ({ name: `esx-${i}`, cpuCores: 32, cpuThreads: 64, cpuMhz: 2600, memoryMiB: 512 * 1024 });
  const vm = (name: string, hostIndex: number): VcsimVm => ({
    name, folder: `kubernetes/${ENV}`, cluster: 'cl1', host: `esx-${hostIndex}`, datastore: 'ds1', network: 'pg-k8s',
    guestId: 'debian12_64Guest', cpu: 2, memoryMiB: 4096, disksGiB: [40], poweredOn: true,
  });
  const names = [...Array.from({ length: 3 }, (_, i) => `${ENV}-cp-${i + 1}`), ...Array.from({ length: vms - 3 }, (_, i) => `${ENV}-worker-${i + 1}`)];
  return {
    user: USER, password: PASSWORD, delayMs,
    datacenters: [{
      name: 'dc1', folders: ['kubernetes', `kubernetes/${ENV}`, 'templates'],
      clusters: [{ name: 'cl1', hosts: Array.from({ length: hosts }, (_, i) => host(i + 1)) }],
      datastores: [{ name: 'ds1', capacityGiB: 200_000, freeGiB: 100_000 }],
      portGroups: ['pg-k8s'],
      vms: [
        { name: 'debian-12-genericcloud', folder: 'templates', cluster: 'cl1', datastore: 'ds1', network: 'pg-k8s', guestId: 'debian12_64Guest', cpu: 2, memoryMiB: 2048, disksGiB: [40], template: true, snapshot: true },
        ...names.map((n, i) => vm(n, (i % hosts) + 1)),
      ],
    }],
  };
}

function writeEnvironment(dir: string, vms: number): string {
  cpSync(join(PROJECT_DIR, 'stacks/environments/_defaults.yaml'), join(dir, '_defaults.yaml'));
  const env = {
    extends: '_defaults.yaml',
    infrastructure: { type: 'vsphere', server: ADDRESS, datacenter: 'dc1', computeCluster: 'cl1', datastore: 'ds1', folder: 'kubernetes', network: 'pg-k8s', template: 'debian-12-genericcloud' },
    network: { cidr: '10.64.0.0/16', gateway: '10.64.0.1', dnsServers: ['10.0.0.53'], allocation: { start: '10.64.0.10', end: '10.64.255.250', poolSize: 1000 } },
    controlPlane: { count: 3, cpu: 2, memoryMiB: 4096, diskGiB: 40, endpoint: { type: 'loadBalancer', address: '10.64.0.5' } },
    workerPools: [{ name: 'worker', count: vms - 3 + 1, cpu: 2, memoryMiB: 4096, diskGiB: 40 }],
    ssh: { user: 'herd', authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBYilDpGRzc0TNyOc0+pG1jw5VntaRF/qyNEE52DChWj bench'] },
  };
  const file = join(dir, `${ENV}.yaml`);
  writeFileSync(file, stringify(env));
  return file;
}

interface Measured {
  readonly vms: number;
  readonly delayMs: number;
  readonly steps: readonly { name: string; roundTrips: number; ms: Sample }[];
  readonly total: Sample;
}

async function measure(vms: number, delayMs: number, runs: number): Promise<Measured> {
  const vcsim = await startVcsim(ADDRESS, inventory(vms, delayMs));
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-preflight-'));
  try {
    const env = loadEnvironment(writeEnvironment(dir, vms));
    const processEnv = { VSPHERE_USER: USER, VSPHERE_PASSWORD: PASSWORD, SSL_CERT_FILE: vcsim.caFile };
    const reports: PreflightReport[] = [];
    await preflight(env, processEnv); // warm-up: module loading and the first TLS handshake's setup are not the preflight's
    for (let i = 0; i < runs; i++) reports.push(await preflight(env, processEnv));
    const failed = reports[0]!.problems;
    if (failed.length > 0) throw new Error(`the benchmark's preflight failed: ${failed.map((p) => p.message).join('; ')}`);
    const exists = reports[0]!.capacity?.plan.lines[0]?.exists;
    if (exists !== vms * 2) throw new Error(`expected the ${vms} existing VMs (${vms * 2} vCPU) to be counted, got ${exists}`);
    return {
      vms,
      delayMs,
      steps: reports[0]!.steps.map((s, i) => ({ name: s.name, roundTrips: s.roundTrips, ms: sample(reports.map((r) => r.steps[i]!.milliseconds)) })),
      total: sample(reports.map((r) => r.steps.reduce((t, s) => t + s.milliseconds, 0))),
    };
  } finally {
    await vcsim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (s: Sample): string => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;

export async function preflightBenchmark(options: { sizes: readonly number[]; runs: number }): Promise<string[]> {
  const results: Measured[] = [];
  for (const delayMs of [0, 20]) for (const vms of options.sizes) results.push(await measure(vms, delayMs, options.runs));
  const header = ['step', ...results.map((r) => `${r.vms} VMs${r.delayMs === 0 ? '' : `, ${r.delayMs} ms away`}: round trips, ms`)];
  const rows = results[0]!.steps.map((step, i) => [step.name, ...results.map((r) => `${r.steps[i]!.roundTrips}, ${ms(r.steps[i]!.ms)}`)]);
  const total = ['total', ...results.map((r) => `${r.steps.reduce((t, s) => t + s.roundTrips, 0)}, ${ms(r.total)}`)];
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    '## 6. Preflight',
    '',
    `\`herd preflight\` of an environment whose VMs all exist (each counted once, its disks read) and that adds one worker, against vcsim ` +
      `(one datacenter: the environment's VMs, a template, hosts, a datastore, a port group). Median (min–max) of ${options.runs} runs after a warm-up; ` +
      '"20 ms away": vcsim delays every call by 20 ms, like a vCenter across a WAN link.',
    '',
    line(header),
    line(header.map(() => '---')),
    ...[...rows, total].map(line),
    '',
  ];
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '15,500' } } });
  const lines = await preflightBenchmark({ sizes: values.sizes.split(',').map(Number), runs: Number(values.runs) });
  process.stdout.write(`${lines.join('\n')}\n`);
}
