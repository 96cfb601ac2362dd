import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Lab, LabHostSpec } from '../../scripts/lab/lab.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';

// Test helpers: an environment file for a lab, and `herd` run as operators run
// it, with every process's command line watched while it runs.

export interface LabEnvironment {
  readonly name: string;
  readonly dir: string;
  readonly knownHosts: string;
  /** Rewrites the environment file with these counts. */
  write(counts: { controlPlanes: 1 | 3 | 5; workers: number }, extra?: Record<string, unknown>): void;
}

/** Lab hosts named for environment `env`: control planes at 127.<net>.0.11…, workers at 127.<net>.1.11… */
export function labHosts(env: string, net: number, controlPlanes: number, workers: number): LabHostSpec[] {
  return [
    ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `${env}-cp-${i + 1}`, address: `127.${net}.0.${11 + i}` })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `${env}-worker-${i + 1}`, address: `127.${net}.1.${11 + i}` })),
  ];
}

export function labEnvironment(name: string, dir: string, lab: Lab, net: number): LabEnvironment {
  mkdirSync(dir, { recursive: true });
  const knownHosts = join(dir, 'known_hosts');
  return {
    name,
    dir,
    knownHosts,
    write(counts, extra = {}) {
      const env = {
        infrastructure: { type: 'static', hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address })) },
        network: { cidr: `127.${net}.0.0/16`, gateway: `127.${net}.0.1`, dnsServers: ['127.0.0.53'] },
        controlPlane: {
          count: counts.controlPlanes,
          endpoint: counts.controlPlanes === 1 ? { type: 'firstNode' } : { type: 'loadBalancer', address: `127.${net}.0.5` },
        },
        workerPools: [{ name: 'worker', count: counts.workers }],
        kubernetes: { version: '1.34.2' },
        containerd: { version: '1.7.28' },
        calico: { version: '3.32.1' },
        ssh: {
          user: lab.user,
          privateKeyFile: lab.keyFile,
          knownHostsFile: knownHosts,
          connectTimeoutSeconds: 5,
          commandTimeoutSeconds: 120,
          // A lab with an isolated network: its hosts are reachable only through its bastion.
          ...(lab.bastion ? { bastion: { host: lab.bastion.address, user: lab.user, port: lab.bastion.port, privateKeyFile: lab.keyFile } } : {}),
        },
        ...extra,
      };
      writeFileSync(join(dir, `${name}.yaml`), stringify(env));
    },
  };
}

export interface HerdRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every distinct command line seen on this machine while herd ran (lab hosts' processes included). */
  readonly commandLines: ReadonlySet<string>;
}

function commandLinesNow(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // the process ended between readdir and read
    }
  }
  return lines;
}

/** Runs `herd` from the project, as `cdktf deploy` does, sampling `ps` every 20 ms. */
export function herd(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<HerdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/herd.mjs', ...args], { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const commandLines = new Set<string>();
    const sampler = setInterval(() => {
      for (const line of commandLinesNow()) commandLines.add(line);
    }, 20);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(sampler);
      resolve({ status, stdout, stderr, commandLines });
    });
  });
}
