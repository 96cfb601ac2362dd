import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labStatus, startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { findSandboxProcesses } from '../../scripts/lab/processes.ts';
import { LabPaths } from '../../scripts/lab/paths.ts';
import { probeSsh } from '../../scripts/lab/probe.ts';
import { connect, exec, tempStateDir, throughBastion } from './helpers.ts';

// A lab whose hosts sit in an isolated network, reachable only through its
// bastion. Addresses 127.35.x.y: clear of the other tests' ranges.

const run = promisify(execFile);
const BASTION = { name: 'iso-bastion', address: '127.35.0.10' };
const HOSTS = [
  { name: 'iso-1', address: '127.35.1.11' },
  { name: 'iso-2', address: '127.35.1.12' },
];

async function netnsList(): Promise<string> {
  return (await run('ip', ['netns', 'list'])).stdout;
}

function openSshOptions(lab: Lab): string[] {
  return ['-F', '/dev/null', '-i', lab.keyFile, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5'];
}

describe('a lab with an isolated network behind a bastion', () => {
  const stateDir = tempStateDir('isolated');
  let lab: Lab;
  let bastion: Client;

  beforeAll(async () => {
    lab = await startLab({ stateDir, hosts: HOSTS, isolated: { bastion: BASTION } });
    bastion = await connect(lab, BASTION.name);
  });
  afterAll(async () => {
    bastion?.end();
    await stopLab(stateDir);
  });

  it('creates its network namespace and tells the bastion from the hosts', async () => {
    const network = lab.isolatedNetwork;
    expect(network?.name).toMatch(/^herd-lab-[0-9a-f]{12}$/);
    expect(await netnsList()).toContain(network?.name);
    expect(lab.hosts.map((h) => [h.name, h.network])).toEqual([
      ['iso-1', 'isolated'],
      ['iso-2', 'isolated'],
    ]);
    expect(lab.bastion).toMatchObject({ ...BASTION, network: 'bastion', port: 22 });
    expect(lab.knownHosts().split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual([BASTION.address, ...HOSTS.map((h) => h.address)]);
  });

  it('leaves the hosts unreachable from this machine', async () => {
    for (const h of HOSTS) expect(await probeSsh(h.address), h.name).toBe('refused');
    await expect(connect(lab, 'iso-1', { readyTimeout: 3_000 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reaches every host through the bastion with ssh2 forwardOut, and the bastion directly', async () => {
    expect((await exec(bastion, 'hostname')).stdout).toBe('iso-bastion\n');
    for (const h of HOSTS) {
      const client = await throughBastion(lab, bastion, h.name);
      const result = await exec(client, 'hostname; sudo -n true && echo sudo');
      client.end();
      expect(result.stdout).toBe(`${h.name}\nsudo\n`);
    }
  });

  it('reaches a host through the bastion with OpenSSH (ssh -W, what ProxyJump runs)', async () => {
    const options = openSshOptions(lab);
    const jump = `ProxyCommand=ssh ${options.join(' ')} -W %h:%p ${lab.user}@${BASTION.address}`;
    const { stdout } = await run('ssh', [...options, '-o', jump, `${lab.user}@${HOSTS[1]!.address}`, 'hostname']);
    expect(stdout).toBe('iso-2\n');
  });

  it('runs the bastion’s sessions in the isolated network, and lab.exec in the host’s own', async () => {
    const knock = await exec(bastion, `head -c 4 < /dev/tcp/${HOSTS[0]!.address}/22`);
    expect(knock.stdout).toBe('SSH-');
    const inside = await lab.exec('iso-1', `head -c 4 < /dev/tcp/${HOSTS[1]!.address}/22`);
    expect(inside.stdout).toBe('SSH-');
  });

  it('reports status and keeps faults working from inside the network', async () => {
    const status = await labStatus(stateDir);
    expect(status.map((h) => [h.name, h.running, h.ssh])).toEqual([BASTION, ...HOSTS].map((h) => [h.name, true, 'answering']));
    await lab.setFault('iso-2', { kind: 'refuseConnections' });
    expect((await labStatus(stateDir)).find((h) => h.name === 'iso-2')?.ssh).toBe('refused');
    await lab.clearFaults('iso-2');
    expect((await labStatus(stateDir)).find((h) => h.name === 'iso-2')?.ssh).toBe('answering');
  });

  it('keeps the running hosts on a second start and refuses to move a host between networks', async () => {
    const pids = [BASTION, ...HOSTS].map((h) => lab.host(h.name).pid);
    const again = await startLab({ stateDir, hosts: HOSTS, isolated: { bastion: BASTION } });
    expect([BASTION, ...HOSTS].map((h) => again.host(h.name).pid)).toEqual(pids);
    await expect(startLab({ stateDir, hosts: HOSTS })).rejects.toThrow(
      'lab host iso-1 already runs on the isolated network, not the machine one; stop the lab first (herd lab down)',
    );
  });
});

describe('stopping an isolated lab', () => {
  it('removes the network namespace, also one a crashed run left behind', async () => {
    const stateDir = tempStateDir('isolated-stop');
    const hosts = [{ name: 'iso-stop-1', address: '127.35.2.11' }];
    const bastion = { name: 'iso-stop-bastion', address: '127.35.2.10' };
    const first = await startLab({ stateDir, hosts, isolated: { bastion } });
    const network = first.isolatedNetwork!;
    try {
      const firstPid = first.host('iso-stop-1').pid;
      const firstNamespace = statSync(network.file).ino;
      // A crash: every host process dies; the namespace stays behind.
      for (const h of [first.bastion!, ...first.hosts]) process.kill(h.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(network.file)).toBe(true);
      const second = await startLab({ stateDir, hosts, isolated: { bastion } });
      expect(second.host('iso-stop-1').pid).not.toBe(firstPid);
      // The leftover namespace was deleted and a fresh one made.
      expect(statSync(network.file).ino).not.toBe(firstNamespace);
      const client = await connect(second, bastion.name);
      const through = await throughBastion(second, client, 'iso-stop-1');
      expect((await exec(through, 'hostname')).stdout).toBe('iso-stop-1\n');
      through.end();
      client.end();
    } finally {
      await stopLab(stateDir);
    }
    expect(existsSync(network.file)).toBe(false);
    expect(await netnsList()).not.toContain(network.name);
    expect(findSandboxProcesses(new LabPaths(stateDir).hostsDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });
});
