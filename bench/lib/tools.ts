import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../scripts/lab/lab.ts';

// The peers herd is measured against, set up the same way for every benchmark.

/** OpenSSH as a script would run it: batch mode, the known_hosts herd wrote, a fresh connection each time. */
export function opensshArgs(lab: Lab, knownHosts: string, port: number): string[] {
  return ['-q', '-p', String(port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ControlMaster=no', '-i', lab.keyFile];
}

/**
 * Debian's Ansible (ansible-core), which the benchmarks install themselves
 * (root, apt-get) rather than CI: only they use it. Undefined when it runs,
 * or why it cannot.
 */
export function ansibleAvailable(): string | undefined {
  const runs = (): boolean => spawnSync('ansible', ['--version']).status === 0;
  if (runs()) return undefined;
  if (process.getuid?.() !== 0) return 'ansible not installed (`apt-get install ansible-core`, as root)';
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'ansible-core'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    if (!install()) return 'ansible-core could not be installed with apt-get';
  }
  return runs() ? undefined : 'ansible-core was installed but `ansible --version` fails';
}

/**
 * Ansible's own SSH defaults (one multiplexed connection per host for the
 * run), with a fresh control directory per run so that no run reuses the
 * connections of the one before; the known_hosts herd wrote.
 */
export function ansibleEnv(work: string, knownHosts: string): NodeJS.ProcessEnv {
  mkdirSync(join(work, 'ansible-local'), { recursive: true });
  return {
    ...process.env,
    ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=2s -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
    ANSIBLE_SSH_CONTROL_PATH_DIR: mkdtempSync(join(work, 'cp-')),
    ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
  };
}

/** An inventory of these hosts, in group `lab`, reached at `port`. */
export function inventory(work: string, nodes: readonly { readonly address: string }[], port: number): string {
  const file = join(work, `inventory-${port}.ini`);
  writeFileSync(file, `[lab]\n${nodes.map((n) => `${n.address} ansible_port=${port}`).join('\n')}\n`);
  return file;
}
