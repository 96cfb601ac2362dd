import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { probeSsh } from '../../scripts/lab/probe.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, type HerdRun, journalMarks } from './lab-env.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';

// herd apply through a bastion: the nodes sit in the lab's isolated network,
// where nothing on this machine reaches them; the environment's ssh.bastion
// points at the lab's bastion, whose SSH sessions run in that network.
// The nodes' addresses (127.35.0.11, 127.35.1.11) exist only inside the
// isolated network; the bastion's (127.35.3.10) is on this machine's loopback.

const ENV = 'pb';
const NET = 35;
const BASTION = { name: 'pb-bastion', address: '127.35.3.10' };

let lab: Lab;
let env: LabEnvironment;
let work: string;
const { mark, sinceMark } = journalMarks(() => lab);

const apply = (): Promise<HerdRun> => herd(['--environments', env.dir, 'apply', ENV, '--verify-timeout', '60']);


/** A direct ssh2 connection from this machine, as herd would open without the bastion. */
function connectDirectly(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.end();
        resolve();
      })
      .on('error', reject)
      .connect({ host: address, port: 22, username: lab.user, privateKey: readFileSync(lab.keyFile), readyTimeout: 5_000, hostVerifier: () => true });
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-bastion-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 1), isolated: { bastion: BASTION } });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 1, workers: 1 });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
});

describe('herd apply through a bastion', () => {
  it('cannot reach the nodes directly', async () => {
    for (const h of lab.hosts) {
      expect(await probeSsh(h.address), h.name).toBe('refused');
      await expect(connectDirectly(h.address), h.name).rejects.toThrow(/ECONNREFUSED/);
    }
  });

  it('brings the nodes to a verified 1 + 1 cluster through the bastion', async () => {
    mark();
    const r = await apply();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(Object.keys(lab.clusterState()?.nodes ?? {}).sort()).toEqual([`${ENV}-cp-1`, `${ENV}-worker-1`]);
    expect(sinceMark(`${ENV}-cp-1`).map((e) => e.command)).toContain('kubeadm');
    // Every node, and the bastion, was met through the bastion's one connection and recorded.
    const known = readFileSync(env.knownHosts, 'utf8');
    for (const h of [lab.bastion!, ...lab.hosts]) expect(known, h.name).toContain(`${h.address} ${lab.hostKey(h.name)}`);
    // One login on the bastion carried the channels to both nodes.
    expect(lab.readFile(BASTION.name, '/run/herd-lab/host/sshd.log').match(/Accepted publickey for herd /g)).toHaveLength(1);
  }, 180_000);

  it('a second apply plans no changes and mutates nothing', async () => {
    mark();
    const r = await apply();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('no changes');
    for (const h of lab.hosts) expect(sinceMark(h.name).filter((e) => e.mutating), h.name).toEqual([]);
  }, 120_000);

  it('fails to connect, naming the bastion, when the bastion is down', async () => {
    await lab.setFault(BASTION.name, { kind: 'refuseConnections' });
    try {
      const r = await apply();
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('cannot reach 2 hosts:');
      expect(r.stderr).toContain('The bastion itself could not be reached: check ssh.bastion');
      expect(r.stderr).toContain('Nothing was done on any host.');
      for (const h of lab.hosts) {
        expect(r.stderr).toContain(`${h.name} (herd@${h.address}:22): cannot connect: its bastion failed: bastion ${BASTION.address} (herd@${BASTION.address}:22): cannot connect: connect ECONNREFUSED ${BASTION.address}:22`);
      }
    } finally {
      await lab.clearFaults(BASTION.name);
    }
  }, 120_000);
});
