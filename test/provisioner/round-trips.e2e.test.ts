import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import type { RoundTripCounts } from '../../scripts/provisioner/round-trip-report.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, journalMarks, type HerdRun } from './lab-env.ts';

// The round trips herd's runs take, per host and phase, as its connections
// count them (each costs the network's round-trip time once): counts, not
// times, so that they hold on loopback as across a WAN. And the narrowed run
// (--only-changed) that keeps adding a worker independent of cluster size.

const ENV = 'rt';
const NET = 93;
const cp = `${ENV}-cp-1`;
const worker = (i: number): string => `${ENV}-worker-${i}`;

let lab: Lab;
let env: LabEnvironment;
let work: string;
const { mark, sinceMark } = journalMarks(() => lab);

const write = (workers: number, kubernetes: string): void => env.write({ controlPlanes: 1, workers }, { kubernetes: { version: kubernetes } });
const apply = (...flags: string[]): Promise<HerdRun> => herd(['--environments', env.dir, 'apply', ENV, '--verify-timeout', '60', ...flags]);

/** The run's round trips, from round-trips.json in its log directory (herd prints "logs: <dir>" last). */
function roundTrips(r: HerdRun): RoundTripCounts {
  const dir = /^logs: (.+)$/m.exec(r.stdout)?.[1];
  expect(dir, r.stdout).toBeDefined();
  return JSON.parse(readFileSync(join(dir!, 'round-trips.json'), 'utf8')) as RoundTripCounts;
}

/** One host's counts, without the connect phase (the handshake's count is checked on its own). */
function afterConnect(counts: RoundTripCounts, host: string): Record<string, number> {
  return Object.fromEntries(Object.entries(counts.hosts[host] ?? {}).filter(([phase]) => !phase.startsWith('Connect to ')));
}

const mutating = (host: string): string[] => sinceMark(host).filter((e) => e.mutating).map((e) => `${e.command} ${e.argv.join(' ')}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-round-trips-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 3) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  write(1, '1.36.3');
  const r = await apply();
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}, 240_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('round trips per host and phase', () => {
  it('a no-change apply takes the handshake and one exchange per host: the probe, whose read of the cluster verify reuses', async () => {
    mark();
    const r = await apply('--stats');
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const h of lab.hosts) expect(mutating(h.name), h.name).toEqual([]);
    const counts = roundTrips(r);
    // TCP, the identification strings and KEXINIT, the ECDH key exchange, the service request,
    // ssh2's question whether the server takes the key, and the signed request (herd skips "none").
    for (const host of [cp, worker(1)]) expect(counts.hosts[host]?.['Connect to 2 hosts'], host).toBe(6);
    // An exec is a channel open and an exec request, each answered before the next; the probe needs no stdin.
    expect(afterConnect(counts, cp)).toEqual({ 'Gather facts': 2 });
    expect(afterConnect(counts, worker(1))).toEqual({ 'Gather facts': 2 });
    expect(r.stdout).toContain("Round trips, one after another, per host (each costs the network's round-trip time once):");
    expect(r.stdout).toMatch(/^Gather facts +2$/m);
  }, 120_000);

  it('adding a worker with --only-changed reaches the control plane and the new machine, one exchange per step', async () => {
    write(2, '1.36.3');
    mark();
    const r = await apply('--only-changed', '--stats');
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`==> Connect to 2 of 3 hosts: the control planes and any new machine (--only-changed)`);
    expect(r.stdout).toContain('trusting 1 of 2 workers as the last successful apply left them (a full herd apply checks them)');
    expect(Object.keys(lab.clusterState()?.nodes ?? {}).sort()).toEqual([cp, worker(1), worker(2)]);
    expect(sinceMark(worker(1))).toEqual([]);
    const counts = roundTrips(r);
    expect(Object.keys(counts.hosts).sort()).toEqual([cp, worker(2)]);
    // Files, script and record in one exec whose stdin carries the files: 3. The token is issued by the
    // script as the command's text (2); the join's secrets travel on stdin (3); the new node's Calico
    // objects, applied and recorded with its uid in one exec (3); verify reads again after changes (2);
    // the record of what converged goes to every control plane (3).
    expect(afterConnect(counts, worker(2))).toEqual({ 'Gather facts': 2, 'Prepare nodes': 3, 'Join workers': 3 });
    expect(afterConnect(counts, cp)).toEqual({ 'Gather facts': 2, 'Join workers': 2, 'Apply Calico and BGP': 3, Verify: 2, 'Record what converged': 3 });
  }, 120_000);

  it('drift on a trusted worker is left to a full apply, which finds it', async () => {
    // As if /var/lib/herd had been wiped on worker-1: nothing on the node says it is prepared.
    await lab.exec(worker(1), 'rm /var/lib/herd/applied/prepare');
    mark();
    const narrow = await apply('--only-changed');
    expect(narrow.status, `${narrow.stdout}\n${narrow.stderr}`).toBe(0);
    expect(narrow.stdout).toContain('no changes');
    expect(sinceMark(worker(1))).toEqual([]);
    const full = await apply();
    expect(full.status, `${full.stdout}\n${full.stderr}`).toBe(0);
    expect(full.stdout).toContain(`${worker(1)}: upload`);
    expect(lab.readFile(worker(1), '/var/lib/herd/applied/prepare')).not.toBe('');
  }, 180_000);

  it('an upgrade reaches every worker (their desired state changed), one exchange per step of each node', async () => {
    write(2, '1.36.4');
    const r = await apply('--only-changed', '--stats');
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`==> Connect to 1 of 3 hosts: the control planes and any new machine (--only-changed)`);
    expect(r.stdout).toContain('==> Connect to 2 hosts more, whose state the last apply does not vouch for');
    const counts = roundTrips(r);
    // Prepare points apt at the patch (files, script, record: 3). Per node: its script placed, the start
    // marked and `kubeadm upgrade` run in one exec with stdin (3), the packages (2), the finish recorded
    // (2); on the control plane, drain-node.sh placed once (3, beside its own first exec) and a drain and
    // an uncordon per node (2 each).
    for (const w of [worker(1), worker(2)]) {
      expect(afterConnect(counts, w), w).toEqual({ 'Gather facts': 2, 'Prepare nodes': 3, 'Upgrade workers, in batches': 7 });
    }
    expect(afterConnect(counts, cp)).toEqual({
      'Gather facts': 2,
      'Prepare nodes': 3,
      'Upgrade control planes, one at a time': 3 + 2 + 2 + 2 + 2,
      'Upgrade workers, in batches': 3 + 2 * (2 + 2),
      Verify: 2,
      'Record what converged': 3,
    });
  }, 300_000);

  it('counts the same through a 20 ms latency relay: round trips, not times', async () => {
    await lab.delay({ rttMs: 20, port: 2293 });
    expect(lab.relays()).toEqual([{ rttMs: 20, port: 2293 }]);
    const delayed = labEnvironment(ENV, join(work, 'environments-20ms'), lab, NET, { port: 2293 });
    delayed.write({ controlPlanes: 1, workers: 2 }, { kubernetes: { version: '1.36.4' } });
    const r = await herd(['--environments', delayed.dir, 'apply', ENV, '--verify-timeout', '60']);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const counts = roundTrips(r);
    for (const host of [cp, worker(1), worker(2)]) {
      expect(counts.hosts[host]?.['Connect to 3 hosts'], host).toBe(6);
      expect(afterConnect(counts, host), host).toEqual({ 'Gather facts': 2 });
    }
  }, 120_000);
});
