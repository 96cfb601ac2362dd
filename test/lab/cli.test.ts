import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnvironment, loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { labTarget } from '../../scripts/lab/environment.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { REPO_ROOT } from '../../scripts/lab/paths.ts';
import { tempStateDir } from './helpers.ts';

const HERD = resolve(REPO_ROOT, 'bin/herd.mjs');

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A static environment in a temporary folder whose lab lives next to it; hosts at 127.20.5.x. */
function environment(): { dir: string; labDir: string } {
  const dir = tempStateDir('cli-env');
  made.push(dir);
  mkdirSync(join(dir, 'envs'));
  copyFileSync(resolve(REPO_ROOT, 'stacks/environments/_defaults.yaml'), join(dir, 'envs/_defaults.yaml'));
  writeFileSync(
    join(dir, 'envs/clilab.yaml'),
    `extends: _defaults.yaml
infrastructure:
  type: static
  hosts:
    - { name: clilab-cp-1, address: 127.20.5.11 }
    - { name: clilab-worker-1, address: 127.20.5.21 }
    - { name: clilab-worker-2, address: 127.20.5.22 }
network: { cidr: 127.20.5.0/24, gateway: 127.20.5.1, dnsServers: [127.0.0.53] }
controlPlane: { count: 1, endpoint: { type: firstNode } }
workerPools: [{ name: worker, count: 1 }]
ssh: { user: herd, agent: false, privateKeyFile: ../lab/id_ed25519 }
`,
  );
  return { dir: join(dir, 'envs'), labDir: join(dir, 'lab') };
}

function herd(envDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [HERD, '--environments', envDir, ...args], { encoding: 'utf8' });
}

describe('herd lab', () => {
  it('starts the hosts an environment needs, shows them, and stops them', () => {
    const { dir, labDir } = environment();
    const up = herd(dir, 'lab', 'up', '--env', 'clilab');
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/^NAME +ADDRESS +PID +PROCESS +SSH\nclilab-cp-1 +127\.20\.5\.11 +\d+ +running +answering\nclilab-worker-1 +127\.20\.5\.21 +\d+ +running +answering\n/);
    expect(up.stdout).toContain('Kubernetes tools there are simulators');
    expect(statSync(join(labDir, 'id_ed25519')).mode & 0o777).toBe(0o600);
    const more = herd(dir, 'lab', 'up', '--env', 'clilab', '--hosts', '3');
    expect(more.stdout).toMatch(/clilab-worker-2 +127\.20\.5\.22 +\d+ +running +answering/);
    const status = JSON.parse(herd(dir, 'lab', 'status', '--env', 'clilab', '--json').stdout) as Array<{ name: string; ssh: string }>;
    expect(status.map((h) => [h.name, h.ssh])).toEqual([
      ['clilab-cp-1', 'answering'],
      ['clilab-worker-1', 'answering'],
      ['clilab-worker-2', 'answering'],
    ]);
    expect(herd(dir, 'lab', 'down', '--env', 'clilab').stdout).toBe(`lab stopped (3 hosts); ${labDir} cleaned\n`);
    expect(existsSync(labDir)).toBe(false);
    expect(herd(dir, 'lab', 'status', '--env', 'clilab').stdout).toBe(`no lab running in ${labDir}\n`);
  });

  it('down forgets what the environment recorded about the lab machines: known_hosts entries and Terraform state', () => {
    const { dir, labDir } = environment();
    expect(herd(dir, 'lab', 'up', '--env', 'clilab').status).toBe(0);
    const state = environmentStateDir('clilab');
    mkdirSync(state, { recursive: true });
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+';
    writeFileSync(join(state, 'known_hosts'), `127.20.5.11 ${key}\n127.20.5.21 ${key}\n192.0.2.7 ${key}\n`);
    writeFileSync(join(state, 'terraform.tfstate'), '{}');
    try {
      expect(herd(dir, 'lab', 'down', '--env', 'clilab').stdout).toBe(
        `lab stopped (2 hosts); ${labDir} cleaned; forgot 2 known_hosts entries, terraform.tfstate of the clilab environment\n`,
      );
      expect(readFileSync(join(state, 'known_hosts'), 'utf8')).toBe(`192.0.2.7 ${key}\n`);
      expect(existsSync(join(state, 'terraform.tfstate'))).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('refuses more hosts than the environment lists, naming the file and path, and changes nothing', () => {
    const { dir, labDir } = environment();
    const result = herd(dir, 'lab', 'up', '--env', 'clilab', '--hosts', '4');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `${join(dir, 'clilab.yaml')}: infrastructure.hosts: --hosts 4 asks for more hosts than the 3 listed here; add hosts to the list or ask for fewer\n1 problem found; nothing was changed.\n`,
    );
    expect(existsSync(labDir)).toBe(false);
    expect(herd(dir, 'lab', 'up', '--env', 'clilab', '--hosts', '0').stderr).toContain("option '--hosts <n>' argument '0' is invalid. must be a positive whole number");
  });

  it('has help for each subcommand', () => {
    for (const sub of ['up', 'down', 'status']) {
      const help = spawnSync(process.execPath, [HERD, 'lab', sub, '--help'], { encoding: 'utf8' });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: herd lab ${sub} [options]`);
    }
  });
});

describe('labTarget', () => {
  it('takes the lab environment: 1 control plane and 2 workers, key and user from the file', () => {
    const target = labTarget(loadEnvironmentByName('lab'));
    expect(target).toEqual({
      stateDir: resolve(REPO_ROOT, '.herd/lab'),
      keyFile: resolve(REPO_ROOT, '.herd/lab/id_ed25519'),
      user: 'herd',
      hosts: [
        { name: 'lab-cp-1', address: '127.10.0.11' },
        { name: 'lab-worker-1', address: '127.10.1.11' },
        { name: 'lab-worker-2', address: '127.10.1.12' },
      ],
    });
    expect(labTarget(loadEnvironmentByName('lab'), 6).hosts.map((h) => h.name)).toEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2', 'lab-worker-3', 'lab-worker-4', 'lab-worker-5']);
  });

  it('refuses an environment that is not static', () => {
    const dev = loadEnvironment(resolve(REPO_ROOT, 'stacks/environments/dev.yaml'));
    expect(() => labTarget(dev)).toThrow(`${dev.file}: infrastructure.type: the lab plays the hosts of a static environment; this one is "vsphere"`);
  });
});
