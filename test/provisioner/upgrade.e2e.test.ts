import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type JournalEntry, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { kubernetesMinorInfo } from '../../stacks/versions/table.ts';
import { herd, herdKilledWhen, journalMarks } from './lab-env.ts';

// A 1 + 1 lab cluster from Kubernetes 1.34 on containerd 1.7, both past their end of life, to
// 1.37 on containerd 2.3, one minor at a time as kubeadm documents it: refused as a new cluster,
// built to rehearse; refused when it skips a minor or runs 1.36 on containerd 1.x; killed
// half-way through and resumed; containerd moved to 2.3 with its config rewritten as version 3
// before its one restart, the running containers kept.

const ENV = 'pu';
const NET = 71;
const newest = (minor: string): string => kubernetesMinorInfo(minor)!.newestPatch;
const FROM = newest('1.34');
const CONTAINERD_FROM = '1.7.31';
const CONTAINERD_TO = '2.3.5';
/** Judge end of life on the day the table was reviewed, not on the clock. */
const TODAY = { ...process.env, HERD_TODAY: '2026-12-01' };

let work: string;
let lab: Lab;
let env: LabEnvironment;
const marks = journalMarks(() => lab);

const args = (command: string, ...more: string[]): string[] => ['--environments', env.dir, command, ENV, '--verify-timeout', '60', ...more];
const writeVersions = (kubernetes: string, containerd: string): void => env.write({ controlPlanes: 1, workers: 1 }, { kubernetes: { version: kubernetes }, containerd: { version: containerd } });
const cp = `${ENV}-cp-1`;
const worker = `${ENV}-worker-1`;
const allHosts = [cp, worker];

const mutatingSinceMark = (): JournalEntry[] => allHosts.flatMap((h) => marks.sinceMark(h).filter((e) => e.mutating));
const calls = (host: string, command: string, ...prefix: string[]): JournalEntry[] =>
  lab.journal(host).filter((e) => e.command === command && prefix.every((p, i) => e.argv[i] === p));
const drained = (node: string): boolean => lab.journal(cp).some((e) => e.command === 'kubectl' && e.argv.includes('drain') && e.argv.includes(node) && e.exit === 0);
const containersOf = (host: string) => lab.clusterState()!.hosts[host]!.containers ?? {};

async function upgradeTo(kubernetes: string, containerd: string): Promise<void> {
  writeVersions(kubernetes, containerd);
  const r = await herd(args('apply'));
  expect(r.status, r.stdout + r.stderr).toBe(0);
}

function expectEverywhere(kubernetes: string, containerd: string): void {
  const state = lab.clusterState()!;
  expect(state.cluster?.kubernetesVersion).toBe(`v${kubernetes}`);
  for (const name of allHosts) {
    expect(state.hosts[name]!.kubelet, name).toMatchObject({ running: true, version: `v${kubernetes}`, runtime: `containerd://${containerd}` });
    expect(state.nodes[name]!.unschedulable, name).toBe(false);
  }
  expect(state.nodes[cp]!.controlPlaneVersion).toBe(`v${kubernetes}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-upgrade-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 1) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  writeVersions(FROM, CONTAINERD_FROM);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('upgrading a 1 + 1 cluster from 1.34 and containerd 1.7 to 1.37 and containerd 2.3', () => {
  it('refuses a new cluster on 1.34, naming its end of life and what to choose, before touching a host', async () => {
    marks.mark();
    const r = await herd(args('plan'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${join(env.dir, `${ENV}.yaml`)}: kubernetes.version: no node runs Kubernetes yet, so this is a new cluster, and Kubernetes 1.34 reached its end of life on 2026-10-27: herd builds new clusters on 1.37, 1.36, 1.35; set 1.36.4 (with containerd 2.3.5), or pass --allow-end-of-life to rehearse an upgrade from 1.34`,
    );
    expect(mutatingSinceMark()).toEqual([]);
  }, 60_000);

  it('warns, without failing, that both versions are past their end of life', async () => {
    const r = await herd(['--environments', env.dir, 'validate', ENV], TODAY);
    expect(r.status, r.stderr).toBe(0);
    const file = join(env.dir, `${ENV}.yaml`);
    expect(r.stderr).toMatch(new RegExp(`^WARNING: ${file}:\\d+: kubernetes\\.version: Kubernetes 1\\.34 reached its end of life on 2026-10-27: upstream no longer patches it; upgrade to ${newest('1.35')}, one minor at a time$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^WARNING: ${file}:\\d+: containerd\\.version: containerd 1\\.7 reached its end of life on 2026-09-30; upgrade to ${CONTAINERD_TO} \\(LTS until 2028-04-27\\)$`, 'm'));
  }, 60_000);

  it('builds the 1.34 starting point when told it is an upgrade rehearsal', async () => {
    const r = await herd(args('apply', '--allow-end-of-life'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expectEverywhere(FROM, CONTAINERD_FROM);
    expect(lab.readFile(worker, '/etc/containerd/config.toml')).toMatch(/^version = 2$/m);
  }, 240_000);

  it('herd versions --live reads what each node runs over SSH, and changes nothing', async () => {
    marks.mark();
    const r = await herd(['--environments', env.dir, 'versions', ENV, '--live'], TODAY);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${cp} +${FROM} +${FROM} +${CONTAINERD_FROM} +as the file says$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${worker} +${FROM} +${FROM} +${CONTAINERD_FROM} +as the file says$`, 'm'));
    writeVersions(newest('1.35'), CONTAINERD_FROM);
    const ahead = await herd(['--environments', env.dir, 'versions', ENV, '--live'], TODAY);
    expect(ahead.stdout).toMatch(new RegExp(`^${cp} +${FROM} +${FROM} +${CONTAINERD_FROM} +differs from the file$`, 'm'));
    expect(mutatingSinceMark()).toEqual([]);
  }, 60_000);

  it('refuses a skip of two minors, and 1.36 on containerd 1.7, before changing anything', async () => {
    marks.mark();
    writeVersions(newest('1.36'), CONTAINERD_TO);
    const skip = await herd(args('apply'));
    expect(skip.status).toBe(2);
    expect(skip.stderr).toContain(`kubernetes.version: ${newest('1.36')} is 2 minor versions above the ${FROM} that ${allHosts.join(', ')} run; kubeadm upgrades one minor at a time: set 1.35.x, then ${newest('1.36')}, applying each in turn`);
    writeVersions(newest('1.36'), CONTAINERD_FROM);
    const old = await herd(args('plan'));
    expect(old.status).toBe(1);
    expect(old.stderr).toContain(`containerd.version: Kubernetes 1.36 does not run on containerd ${CONTAINERD_FROM}; it needs 2.0.4 or a later 2.x: upgrade containerd first, on the Kubernetes minor you run now`);
    expect(mutatingSinceMark()).toEqual([]);
  }, 60_000);

  it('to 1.35: killed once the worker is drained, the next run resumes it without a second kubeadm upgrade', async () => {
    writeVersions(newest('1.35'), CONTAINERD_FROM);
    const plan = await herd(args('plan'));
    expect(plan.stdout).toContain(`${cp}: kubeadm upgrade apply v${newest('1.35')}, drain, kubelet and kubectl ${FROM} → ${newest('1.35')}, uncordon when Ready`);
    expect(await herdKilledWhen(args('apply'), () => drained(worker))).toBe('killed');
    expect(lab.clusterState()!.nodes[worker]!.unschedulable).toBe(true);

    const resumed = await herd(args('apply'));
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${worker}: batch 1 of 1: resume, drain`));
    expect(resumed.stdout).not.toMatch(new RegExp(`${worker}: .*kubeadm upgrade`));
    expectEverywhere(newest('1.35'), CONTAINERD_FROM);
    expect(calls(cp, 'kubeadm', 'upgrade', 'apply').filter((e) => e.exit === 0)).toHaveLength(1);
    expect(calls(worker, 'kubeadm', 'upgrade', 'node').filter((e) => e.exit === 0)).toHaveLength(1);
  }, 300_000);

  it('containerd 1.7 → 2.3 on 1.35: the config is rewritten as version 3 before one restart, the running containers stay, and a failed restart is finished by the next run', async () => {
    writeVersions(newest('1.35'), CONTAINERD_TO);
    const plan = await herd(args('plan'));
    expect(plan.stdout).toContain(`${cp}: drain, containerd ${CONTAINERD_FROM} → ${CONTAINERD_TO} (its config rewritten as version 3 before the restart), uncordon when Ready`);
    const before = Object.fromEntries(allHosts.map((h) => [h, containersOf(h)]));
    expect(Object.keys(before[worker]!)).toEqual(['kube-proxy']);
    marks.mark();
    // The worker's containerd restart fails once: its new package is in, its restart is not done.
    await lab.setFault(worker, { kind: 'fail', command: 'systemctl restart containerd', exitCode: 1, times: 1 });
    const failed = await herd(args('apply'));
    expect(failed.status).toBe(1);
    expect(failed.stdout + failed.stderr).toContain(worker);
    expect(lab.readFile(worker, '/var/lib/herd/containerd-restart-pending')).toBe(`${CONTAINERD_TO}\n`);
    expect(lab.clusterState()!.nodes[worker]!.unschedulable).toBe(true);

    const resumed = await herd(args('apply'));
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${worker}: batch 1 of 1: resume, drain`));
    expectEverywhere(newest('1.35'), CONTAINERD_TO);
    for (const host of allHosts) {
      expect(containersOf(host), host).toEqual(before[host]);
      expect(lab.readFile(host, '/etc/containerd/config.toml'), host).toMatch(/^version = 3$/m);
      expect(() => lab.readFile(host, '/var/lib/herd/containerd-restart-pending'), host).toThrow();
      const restarts = marks.sinceMark(host).filter((e) => e.command === 'systemctl' && e.argv.join(' ') === 'restart containerd');
      expect(restarts.map((e) => e.exit), host).toEqual(host === worker ? [1, 0] : [0]);
    }
  }, 300_000);

  it('to 1.36, then to 1.37 (Calico 3.32 is not tested with 1.37: a warning, not a refusal)', async () => {
    await upgradeTo(newest('1.36'), CONTAINERD_TO);
    expectEverywhere(newest('1.36'), CONTAINERD_TO);
    writeVersions(newest('1.37'), CONTAINERD_TO);
    const r = await herd(args('apply'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('calico.version: Calico 3.32 is tested with Kubernetes 1.34, 1.35, 1.36, not 1.37; Calico 3.33 is');
    expectEverywhere(newest('1.37'), CONTAINERD_TO);
  }, 300_000);

  it('a run after the upgrade changes nothing', async () => {
    marks.mark();
    const r = await herd(args('apply'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(mutatingSinceMark()).toEqual([]);
  }, 120_000);
});
