import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, type HerdRun, journalMarks } from './lab-env.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';

// What herd does when hosts or commands misbehave: the lab refuses
// connections, stays silent, hangs or fails a named command on request.

const ENV = 'pf';
const NET = 32;

let lab: Lab;
let env: LabEnvironment;
let work: string;
const { mark, sinceMark } = journalMarks(() => lab);

const apply = (): Promise<HerdRun> => herd(['--environments', env.dir, 'apply', ENV, '--verify-timeout', '60']);
const output = (r: HerdRun): string => `${r.stdout}\n${r.stderr}`;


beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-failures-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 2) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 1, workers: 2 }, { ssh: { user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: env.knownHosts, connectTimeoutSeconds: 3, commandTimeoutSeconds: 8 } });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('herd apply when things go wrong', () => {
  it('an unreachable host stops the run before anything is done on any host', async () => {
    await lab.setFault(`${ENV}-worker-2`, { kind: 'refuseConnections' });
    mark();
    const r = await apply();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`herd: cannot reach 1 host:\n  ${ENV}-worker-2 (herd@127.${NET}.1.12:22): cannot connect: connect ECONNREFUSED 127.${NET}.1.12:22, after 3 attempts over `);
    expect(r.stderr).toContain('(each waits up to 3 s for the SSH handshake; ssh.connectTimeoutSeconds). Nothing accepted the connection: check the address and ssh.port, that sshd runs on the host');
    expect(r.stderr).toContain('Nothing was done on any host.');
    for (const h of lab.hosts) expect(sinceMark(h.name), h.name).toEqual([]);
    await lab.clearFaults(`${ENV}-worker-2`);
  }, 60_000);

  it('a host that accepts TCP and never speaks SSH fails with a timeout naming it', async () => {
    await lab.setFault(`${ENV}-worker-2`, { kind: 'silent' });
    mark();
    const r = await apply();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${ENV}-worker-2 \\(herd@127\\.${NET}\\.1\\.12:22\\): cannot connect: no SSH handshake within 3 s, after 3 attempts over \\d+\\.\\d s`));
    expect(r.stderr).toContain('The host did not answer with SSH: check that it is up, that a firewall does not drop the packets, and that sshd is not hung');
    expect(r.stderr).not.toContain('Timed out while waiting for handshake');
    for (const h of lab.hosts) expect(sinceMark(h.name), h.name).toEqual([]);
    await lab.clearFaults(`${ENV}-worker-2`);
  }, 60_000);

  it('a failing step names host, phase, step and exit code, with the last lines of its output', async () => {
    await lab.setFault(`${ENV}-worker-1`, { kind: 'fail', command: 'kubeadm join', exitCode: 7, stderr: 'error execution phase preflight: simulated failure', times: 1 });
    const r = await apply();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`[${ENV}-worker-1] join: run join-worker.sh (kubeadm join) failed`);
    expect(r.stderr).toContain(`${ENV}-worker-1: join-worker.sh failed with exit code 7; last output:`);
    expect(r.stderr).toContain('error execution phase preflight: simulated failure');
  }, 90_000);

  it('a hanging command fails its step at the command timeout; the phase’s other hosts finish; later phases do not start', async () => {
    await lab.setFault(`${ENV}-worker-1`, { kind: 'hang', command: 'kubeadm join', times: 1 });
    mark();
    const r = await apply();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${ENV}-worker-1: join-worker.sh did not finish within 8 s (ssh.commandTimeoutSeconds) and was killed`);
    expect(Object.keys(lab.clusterState()?.nodes ?? {}).sort()).toEqual([`${ENV}-cp-1`, `${ENV}-worker-2`]);
    expect(r.stdout).not.toContain('==> Apply Calico and BGP');
    expect(sinceMark(`${ENV}-cp-1`).filter((e) => e.command === 'kubectl' && e.argv.includes('apply'))).toEqual([]);
  }, 90_000);

  it('the next run finishes what the failed runs left, and then there is nothing to do', async () => {
    await lab.clearFaults(`${ENV}-worker-1`);
    const r = await apply();
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toContain(`${ENV}-worker-1: run join-worker.sh (kubeadm join)`);
    expect(r.stdout).not.toContain(`${ENV}-worker-2: run join-worker.sh`);
    expect(Object.keys(lab.clusterState()?.nodes ?? {})).toHaveLength(3);
    const again = await herd(['--environments', env.dir, 'plan', ENV]);
    expect(again.stdout).toContain('no changes');
  }, 90_000);

  it('of two applies started together, one proceeds and the other fails at once, naming the holder', async () => {
    const runs = await Promise.all([apply(), apply()]);
    const [winner, loser] = runs[0]!.status === 0 ? runs : [runs[1]!, runs[0]!];
    expect(winner!.status, output(winner!)).toBe(0);
    expect(loser!.status).toBe(2);
    expect(loser!.stderr).toMatch(/another herd run holds this environment's lock: herd apply by \S+@\S+ \(pid \d+\) since \S+/);
    expect(loser!.stdout).toBe('');
  }, 90_000);
});
