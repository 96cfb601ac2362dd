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

/** An environment file in a temporary folder whose lab lives next to it. */
function environmentFile(name: string, content: string): { dir: string; labDir: string; file: string } {
  const dir = tempStateDir(`cli-${name}`);
  made.push(dir);
  mkdirSync(join(dir, 'envs'));
  copyFileSync(resolve(REPO_ROOT, 'stacks/environments/_defaults.yaml'), join(dir, 'envs/_defaults.yaml'));
  const file = join(dir, 'envs', `${name}.yaml`);
  writeFileSync(file, `extends: _defaults.yaml\n${content}`);
  return { dir: join(dir, 'envs'), labDir: join(dir, 'lab'), file };
}

/** A static environment on loopback; hosts at 127.20.5.x. */
function environment(): { dir: string; labDir: string } {
  return environmentFile(
    'clilab',
    `infrastructure:
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
}

/** A fabric environment: hosts at 198.18.38.x behind a lab bastion at 127.38.0.10, one router with a password. */
function fabricEnvironment(): { dir: string; labDir: string; file: string } {
  return environmentFile(
    'clifab',
    `infrastructure:
  type: static
  hosts:
    - { name: clifab-cp-1, address: 198.18.38.11 }
    - { name: clifab-worker-1, address: 198.18.38.21 }
network: { cidr: 198.18.38.0/24, gateway: 198.18.38.1, dnsServers: [127.0.0.53] }
controlPlane: { count: 1, endpoint: { type: firstNode } }
workerPools: [{ name: worker, count: 1 }]
calico:
  bgp:
    peers: [{ name: clifab-tor, address: 198.18.38.2, asNumber: 65001, passwordFrom: { env: CLIFAB_BGP_PASSWORD } }]
ssh: { user: herd, agent: false, privateKeyFile: ../lab/id_ed25519, bastion: { host: 127.38.0.10, user: herd, privateKeyFile: ../lab/id_ed25519 } }
`,
  );
}

function herd(envDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return herdWith(process.env, envDir, ...args);
}

function herdWith(env: NodeJS.ProcessEnv, envDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [HERD, '--environments', envDir, ...args], { encoding: 'utf8', env });
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

  it('plays a fabric environment: its bastion, its hosts on the fabric, a real FRR per BGP peer', () => {
    const { dir, labDir } = fabricEnvironment();
    const missing = herd(dir, 'lab', 'up', '--env', 'clifab');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`${join(dir, 'clifab.yaml')}: calico.bgp.peers[0].passwordFrom.env: the lab's router clifab-tor needs this peer's password: set CLIFAB_BGP_PASSWORD\n1 problem found; nothing was changed.\n`);
    expect(existsSync(labDir)).toBe(false);

    const env = { ...process.env, CLIFAB_BGP_PASSWORD: 'cli-canary-77ad' };
    const up = herdWith(env, dir, 'lab', 'up', '--env', 'clifab');
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/^NAME +ADDRESS +PID +PROCESS +SSH\nclifab-bastion +127\.38\.0\.10 +\d+ +running +answering\nclifab-cp-1 +198\.18\.38\.11 +\d+ +running +answering\nclifab-worker-1 +198\.18\.38\.21 +\d+ +running +answering\n\nROUTER +ADDRESS +FRR\nclifab-tor +198\.18\.38\.2 +running\n/);
    expect(up.stdout).toContain("ProxyCommand='ssh -i ");
    expect(up.stdout).toContain('each BGP peer is a real FRR');
    expect(herd(dir, 'lab', 'status', '--env', 'clifab').stdout).toMatch(/\nROUTER +ADDRESS +FRR\nclifab-tor +198\.18\.38\.2 +running\n/);
    // A second up keeps what runs, the router included.
    expect(herdWith(env, dir, 'lab', 'up', '--env', 'clifab').status).toBe(0);
    expect(herd(dir, 'lab', 'down', '--env', 'clifab').stdout).toBe(`lab stopped (2 hosts, the bastion, 1 router); ${labDir} cleaned\n`);
    expect(existsSync(labDir)).toBe(false);
  });

  it('refuses what the lab cannot play, naming the file and field, and starts nothing', () => {
    const ipip = fabricEnvironment();
    writeFileSync(ipip.file, readFileSync(ipip.file, 'utf8').replace('calico:\n', 'calico:\n  ipPools: [{ cidr: 10.244.0.0/16, encapsulation: IPIP }]\n'));
    const refused = herdWith({ ...process.env, CLIFAB_BGP_PASSWORD: 'x' }, ipip.dir, 'lab', 'up', '--env', 'clifab');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${ipip.file}: calico.ipPools[0].encapsulation: the lab's BIRD (Debian's 1.6.8) cannot program IP-in-IP routes (calico/bird's krt_tunnel); use None or VXLAN on the lab`);
    expect(existsSync(ipip.labDir)).toBe(false);

    const remote = fabricEnvironment();
    writeFileSync(remote.file, readFileSync(remote.file, 'utf8').replace('host: 127.38.0.10', 'host: bastion.example.com'));
    expect(herd(remote.dir, 'lab', 'up', '--env', 'clifab').stderr).toContain(
      `${remote.file}: ssh.bastion.host: the lab plays the bastion on this machine, at a loopback address (127.x.y.z, not 127.0.0.1); "bastion.example.com" is not one`,
    );

    const { dir, labDir } = environment();
    writeFileSync(join(dir, 'clilab.yaml'), `${readFileSync(join(dir, 'clilab.yaml'), 'utf8')}calico: { bgp: { peers: [{ name: tor, address: 127.20.5.2, asNumber: 65001 }] } }\n`);
    const loopback = herd(dir, 'lab', 'up', '--env', 'clilab');
    expect(loopback.status).toBe(2);
    expect(loopback.stderr).toContain(`${join(dir, 'clilab.yaml')}: calico.bgp.peers: the lab plays BGP peers on a fabric only, behind a lab bastion: set ssh.bastion to a loopback address (see stacks/environments/lab.yaml)`);
    expect(existsSync(labDir)).toBe(false);
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
        { name: 'lab-cp-1', address: '198.18.10.11' },
        { name: 'lab-worker-1', address: '198.18.10.21' },
        { name: 'lab-worker-2', address: '198.18.10.22' },
      ],
      isolated: { bastion: { name: 'lab-bastion', address: '127.10.0.10' }, fabric: { cidr: '198.18.10.0/24', gateway: '198.18.10.1' } },
    });
    expect(labTarget(loadEnvironmentByName('lab'), 6).hosts.map((h) => h.name)).toEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2', 'lab-worker-3', 'lab-worker-4', 'lab-worker-5']);
  });

  it('refuses an environment that is not static', () => {
    const dev = loadEnvironment(resolve(REPO_ROOT, 'stacks/environments/dev.yaml'));
    expect(() => labTarget(dev)).toThrow(`${dev.file}: infrastructure.type: the lab plays the hosts of a static environment; this one is "vsphere"`);
  });
});
