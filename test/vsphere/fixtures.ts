import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import type { VcsimHost, VcsimModel, VcsimVm } from '../../scripts/lab/vcsim/vcsim.ts';

// The vCenter the preflight tests talk to, in the names of the `dev` example,
// and copies of `dev` that each get one thing wrong.

export const USER = 'ops@vsphere.local';
/** A canary: it must never show in output, files or command lines. XML's special characters test the SOAP encoding too. */
export const PASSWORD = `canary-${randomBytes(6).toString('hex')}-<&'">`;

const host = (name: string, extra: { maintenance?: boolean } = {}): VcsimHost => ({ name, cpuCores: 8, cpuThreads: 16, cpuMhz: 2600, memoryMiB: 65536, ...extra });

const template = (name: string, guestId: string, snapshot: boolean): VcsimVm => ({
  name, folder: 'templates', cluster: 'cl-dev', datastore: 'ds-dev-01', network: 'pg-k8s-dev', guestId, cpu: 2, memoryMiB: 2048, disksGiB: [10], template: true, snapshot,
});

const running = (name: string, folder: string, hostName: string, cpu: number, memoryMiB: number): VcsimVm => ({
  name, folder, cluster: 'cl-dev', host: hostName, datastore: 'ds-dev-01', network: 'pg-k8s-dev', guestId: 'debian12_64Guest', cpu, memoryMiB, disksGiB: [10], poweredOn: true,
});

/**
 * cl-dev: three usable hosts of 16 threads and 64 GiB, a fourth in
 * maintenance mode. Already running there: another team's VM (4 vCPU, 16 GiB)
 * and two VMs of environment `stage` (6 vCPU, 12 GiB). So the cluster has 38
 * vCPU and 164 GiB free, and 22 vCPU and 100 GiB with its largest host lost.
 * ds-dev-01 has 500 GiB free; the datastore cluster dsc-ssd 600 GiB.
 */
export function devInventory(overrides: Partial<Pick<VcsimModel, 'pageSize' | 'delayMs'>> = {}): VcsimModel {
  return {
    user: USER,
    password: PASSWORD,
    ...overrides,
    datacenters: [
      {
        name: 'dc-dev',
        folders: ['kubernetes', 'kubernetes/stage', 'templates'],
        clusters: [{ name: 'cl-dev', hosts: [host('esx-1'), host('esx-2'), host('esx-3'), host('esx-4', { maintenance: true })], resourcePools: ['kubernetes'] }],
        datastoreClusters: ['dsc-ssd'],
        datastores: [
          { name: 'ds-dev-01', capacityGiB: 2048, freeGiB: 500 },
          { name: 'ds-ssd-1', capacityGiB: 1000, freeGiB: 300, datastoreCluster: 'dsc-ssd' },
          { name: 'ds-ssd-2', capacityGiB: 1000, freeGiB: 300, datastoreCluster: 'dsc-ssd' },
        ],
        portGroups: ['pg-k8s-dev'],
        vms: [
          template('debian-12-genericcloud', 'debian12_64Guest', true),
          template('debian-12-nosnap', 'debian12_64Guest', false),
          template('appliance', 'otherGuest64', true),
          running('other-team-app', '', 'esx-1', 4, 16384),
          running('stage-cp-1', 'kubernetes/stage', 'esx-2', 2, 4096),
          running('stage-general-1', 'kubernetes/stage', 'esx-3', 4, 8192),
        ],
      },
    ],
  };
}

// any: a parsed YAML document that tests edit at any depth; the loader validates what they write.
export type RawEnvironment = Record<string, any>;

/** A folder of environment files: copies of the `dev` example pointed at the test's vCenter. */
export class EnvironmentFolder {
  readonly dir = mkdtempSync(join(tmpdir(), 'herd-preflight-'));

  constructor(private readonly server: string) {
    copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, '_defaults.yaml'), join(this.dir, '_defaults.yaml'));
  }

  /** Writes `<name>.yaml` from dev.yaml with `edit` applied; returns its path. */
  write(name: string, edit: (env: RawEnvironment) => void = () => undefined): string {
    const env = parse(readFileSync(join(DEFAULT_ENVIRONMENTS_DIR, 'dev.yaml'), 'utf8')) as RawEnvironment;
    env['infrastructure']['server'] = this.server;
    edit(env);
    const file = join(this.dir, `${name}.yaml`);
    writeFileSync(file, stringify(env));
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The variables a preflight gets: the provider's credentials and, to verify vcsim's certificate, its CA. */
export function vsphereEnv(caFile: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/root',
    VSPHERE_USER: USER,
    VSPHERE_PASSWORD: PASSWORD,
    ...(caFile === undefined ? {} : { SSL_CERT_FILE: caFile }),
    ...extra,
  };
}

export function herd(dir: string, args: readonly string[], env: Record<string, string>): Run {
  const r = spawnSync('node', ['bin/herd.mjs', '--environments', dir, ...args], { cwd: PROJECT_DIR, encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs herd and, while it runs, every process's command line, as `ps` shows them to other users. */
export async function herdWatchingCommandLines(dir: string, args: readonly string[], env: Record<string, string>): Promise<Run & { commandLines: string[] }> {
  const child = spawn('node', ['bin/herd.mjs', '--environments', dir, ...args], { cwd: PROJECT_DIR, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const commandLines = new Set<string>();
  const watch = setInterval(() => {
    for (const line of spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n')) commandLines.add(line);
  }, 25);
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(watch);
  return { status, stdout, stderr, commandLines: [...commandLines] };
}
