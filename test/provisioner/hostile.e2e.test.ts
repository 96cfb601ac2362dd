import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type JournalEntry, type Lab, type StartLabOptions } from '../../scripts/lab/lab.ts';
import { killAndWait } from '../../scripts/lab/processes.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, herdKilledWhen, journalMarks, type HerdRun } from './lab-env.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';

// herd run the way a hostile environment treats it: killed mid-step, its lock
// files left behind, a disk full, a node removed while it was unreachable, a
// machine replaced under the same name. Each case fails without the fix it
// names (issue 18) and passes with it.

const ENV = 'ph';
const NET = 81;
const CP = (i: number): string => `${ENV}-cp-${i}`;
const WORKER = (i: number): string => `${ENV}-worker-${i}`;

let work: string;
let lab: Lab;
let env: LabEnvironment;
let labOptions: StartLabOptions;
const { mark, sinceMark } = journalMarks(() => lab);

const args = (command: string, ...more: string[]): string[] => ['--environments', env.dir, command, ENV, ...more];
const apply = (): Promise<HerdRun> => herd(args('apply', '--verify-timeout', '60'));
const output = (r: HerdRun): string => `${r.stdout}\n${r.stderr}`;
const called = (entries: readonly JournalEntry[], command: string, sub: string): JournalEntry[] => entries.filter((e) => e.command === command && e.argv[0] === sub);
const span = (e: JournalEntry): { start: number; end: number } => ({ start: Date.parse(e.time) - e.durationMs, end: Date.parse(e.time) });
const hostFileExists = (host: string, path: string): boolean => existsSync(`/proc/${lab.host(host).initPid}/root${path}`);
const waitFor = async (what: string, ok: () => boolean, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Starts the host anew, as a VM rebuilt at the same address: empty disk, new host key. */
async function rebuild(host: string): Promise<void> {
  await killAndWait([lab.host(host).pid]);
  lab = await startLab(labOptions);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-hostile-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  labOptions = { stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 3, 2) };
  lab = await startLab(labOptions);
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 3, workers: 2 }, { ssh: { user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: env.knownHosts, connectTimeoutSeconds: 5, commandTimeoutSeconds: 30 } });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('herd apply in a hostile environment', () => {
  it('a full disk on one host is found before any host changes, with the path, the room and the need', async () => {
    // Leaves 200 MiB on the worker's root file system, where /var/lib, /etc and the home live.
    const fill = await lab.exec(WORKER(2), 'free=$(df -Pk / | awk "NR == 2 { print \\$4 }"); fallocate -l $(( (free - 200 * 1024) * 1024 )) /var/fill && df -Pm / | tail -1');
    expect(fill.code, fill.stderr).toBe(0);
    try {
      mark();
      const r = await apply();
      expect(r.status, output(r)).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`no space left on ${WORKER(2)}: /var/lib has (19\\d|200) MiB free, the steps need 2048 MiB \\(the Kubernetes and containerd packages, a worker's images\\)`));
      expect(r.stderr).toContain('nothing was changed');
      for (const h of lab.hosts) expect(sinceMark(h.name).filter((e) => e.mutating), h.name).toEqual([]);
      for (const h of lab.hosts) expect((await lab.exec(h.name, `ls -a /home/${lab.user}`)).stdout, h.name).not.toContain('.herd-stage');
    } finally {
      await lab.exec(WORKER(2), 'rm -f /var/fill');
    }
  }, 120_000);

  it('a known_hosts lock left by a killed run is taken over at once, and each host key is written once', async () => {
    // A run killed inside its known_hosts update left its lock; the run that wrote it is gone.
    const dead = spawnSync('true').pid!;
    writeFileSync(`${env.knownHosts}.herd-lock`, JSON.stringify({ purpose: `update ${env.knownHosts}`, host: hostname(), pid: dead, token: 'x' }));
    rmSync(env.knownHosts, { force: true });
    // Slow enough that a rerun can catch prepare-node.sh still installing packages on the worker.
    await lab.setFault(WORKER(1), { kind: 'slow', command: 'apt-get install', ms: 8_000, times: 1 });
    const started = Date.now();
    const killed = await herdKilledWhen(args('apply', '--verify-timeout', '60'), () => called(lab.journal(WORKER(1)), 'apt-get', 'update').length > 0);
    expect(killed).toBe('killed');
    expect(Date.now() - started).toBeLessThan(25_000);
    const lines = readFileSync(env.knownHosts, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(lab.hosts.map((h) => h.address).sort());
  }, 120_000);

  it('a rerun waits for the step the killed run left running on a node, instead of running beside it', async () => {
    const r = await apply();
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\[${WORKER(1)}\\] herd: ${WORKER(1)}: waiting up to \\d+ s for a step an earlier herd run left running here: prepare-node.sh \\(herd pid \\d+`));
    const mutating = lab.journal(WORKER(1)).filter((e) => e.mutating).map(span).sort((a, b) => a.start - b.start);
    const slow = lab.journal(WORKER(1)).find((e) => e.fault === 'slow');
    expect(slow).toBeDefined();
    // No two changes ever ran at once on the node: the dead run's script finished before the new one began.
    for (let i = 1; i < mutating.length; i++) expect(mutating[i]!.start, `change ${i}`).toBeGreaterThanOrEqual(mutating[i - 1]!.end - 5);
    expect(lab.clusterState()?.etcdMembers).toHaveLength(3);
  }, 180_000);

  it('join secrets do not outlive a herd killed during the join: the node removes them itself', async () => {
    await rebuild(WORKER(2));
    expect((await herd(args('forget-host', WORKER(2)))).status).toBe(0);
    await lab.setFault(WORKER(2), { kind: 'slow', command: 'kubeadm join', ms: 3_000, times: 1 });
    const killed = await herdKilledWhen(args('apply', '--verify-timeout', '60'), () => hostFileExists(WORKER(2), '/run/herd/secrets/KUBEADM_JOIN_TOKEN'));
    expect(killed).toBe('killed');
    // The join goes on without herd; when it ends, so do the secrets.
    await waitFor('the join secrets to go', () => !hostFileExists(WORKER(2), '/run/herd/secrets'), 20_000);
    for (const cp of [CP(1), CP(2), CP(3)]) expect(hostFileExists(cp, '/run/herd/issued'), cp).toBe(false);
  }, 120_000);

  it('a control plane removed while unreachable is reset and joined again when it returns', async () => {
    const r0 = await apply();
    expect(r0.status, output(r0)).toBe(0);
    await lab.setFault(CP(3), { kind: 'refuseConnections' });
    const removed = await herd(['--environments', env.dir, 'node', 'remove', ENV, CP(3), '--address', lab.host(CP(3)).address]);
    expect(removed.status, output(removed)).toBe(0);
    expect(lab.clusterState()?.etcdMembers.map((m) => m.name)).not.toContain(CP(3));
    await lab.clearFaults(CP(3));
    const plan = await herd(args('plan'));
    expect(plan.stdout, output(plan)).toContain(`${CP(3)}: reset (the cluster has no Node ${CP(3)} (it was removed while the host was unreachable)), then run join-control-plane.sh (kubeadm join)`);
    mark();
    const r = await apply();
    expect(r.status, output(r)).toBe(0);
    const cp3 = sinceMark(CP(3));
    const reset = called(cp3, 'kubeadm', 'reset');
    const join = called(cp3, 'kubeadm', 'join');
    expect(reset).toHaveLength(1);
    expect(join).toHaveLength(1);
    expect(span(join[0]!).start).toBeGreaterThanOrEqual(span(reset[0]!).end);
    const state = lab.clusterState()!;
    expect(state.etcdMembers.map((m) => m.name).sort()).toEqual([CP(1), CP(2), CP(3)]);
    // Its Node is a new object: herd's labels went with the old one, and are set again.
    expect(state.nodes[CP(3)]?.labels['herd.io/pool']).toBe('cp');
  }, 180_000);

  it('a worker replaced by a fresh host under the same name joins after forget-host, in place of its stale Node', async () => {
    await rebuild(WORKER(2));
    const refused = await apply();
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`herd forget-host ${ENV} ${WORKER(2)}`);
    expect((await herd(args('forget-host', WORKER(2)))).status).toBe(0);
    const plan = await herd(args('plan'));
    expect(plan.stdout, output(plan)).toContain(`${WORKER(2)}: remove the stale member on ${CP(1)} (the host is new, but the cluster still has a Node ${WORKER(2)} (NotReady) from the machine it replaces), then run join-worker.sh (kubeadm join)`);
    mark();
    const r = await apply();
    expect(r.status, output(r)).toBe(0);
    expect(sinceMark(CP(1)).some((e) => e.command === 'kubectl' && e.argv.join(' ') === `--kubeconfig /etc/kubernetes/admin.conf delete node ${WORKER(2)}`)).toBe(true);
    expect(called(sinceMark(WORKER(2)), 'kubeadm', 'join').filter((e) => e.exit === 0)).toHaveLength(1);
    expect(lab.clusterState()!.nodes[WORKER(2)]?.labels['herd.io/pool']).toBe('worker');
    const again = await apply();
    expect(again.stdout).toContain('no changes');
  }, 180_000);

  it('herd kubeconfig writes a new 0600 file over an existing one, and refuses a symlink', async () => {
    const out = join(work, 'admin.conf');
    writeFileSync(out, 'old', { mode: 0o644 });
    const r = await herd(args('kubeconfig', '--out', out));
    expect(r.status, output(r)).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('client-key-data');

    const target = join(work, 'elsewhere');
    writeFileSync(target, 'keep me', { mode: 0o644 });
    const link = join(work, 'link.conf');
    symlinkSync(target, link);
    const refused = await herd(args('kubeconfig', '--out', link));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`herd: refused: ${link} is a symbolic link: herd writes credentials only to a file of its own, not through a link. Remove it, or give another --out.\nNothing was changed.\n`);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  }, 60_000);
});
