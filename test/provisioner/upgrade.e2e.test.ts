import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type JournalEntry, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, herdKilledWhen, journalMarks } from './lab-env.ts';

// An in-place upgrade of a 3 + 3 lab cluster by one minor, as kubeadm
// documents it: refused when it skips a minor, planned in order, killed
// half-way through the workers and resumed by the next run.

const ENV = 'pu';
const NET = 71;
const FROM = '1.33.4';
const TO = '1.34.2';

let work: string;
let lab: Lab;
let env: LabEnvironment;
const marks = journalMarks(() => lab);

const args = (command: string): string[] => ['--environments', env.dir, command, ENV, '--verify-timeout', '60'];
const writeVersion = (version: string): void => env.write({ controlPlanes: 3, workers: 3 }, { kubernetes: { version }, upgrade: { workerBatchSize: 2 } });
const cps = [1, 2, 3].map((i) => `${ENV}-cp-${i}`);
const workers = [1, 2, 3].map((i) => `${ENV}-worker-${i}`);
const allHosts = [...cps, ...workers];

const mutatingSinceMark = (): JournalEntry[] => allHosts.flatMap((h) => marks.sinceMark(h).filter((e) => e.mutating));
const calls = (host: string, command: string, ...prefix: string[]): JournalEntry[] =>
  lab.journal(host).filter((e) => e.command === command && prefix.every((p, i) => e.argv[i] === p));
/** Successful kubectl drains or uncordons of `node`, run on any control plane. */
const kubectlCalls = (verb: 'drain' | 'uncordon', node: string): JournalEntry[] =>
  cps.flatMap((cp) => lab.journal(cp)).filter((e) => e.command === 'kubectl' && e.argv.includes(verb) && e.argv.includes(node) && e.exit === 0);
/** When `node` was first drained, or last uncordoned, in ms. */
function kubectlAt(verb: 'drain' | 'uncordon', node: string): number {
  const times = kubectlCalls(verb, node).map((e) => Date.parse(e.time)).sort((a, b) => a - b);
  if (times.length === 0) throw new Error(`no kubectl ${verb} ${node} in the journals`);
  return verb === 'drain' ? times[0]! : times.at(-1)!;
}
const kubeadmUpgradeAt = (host: string): number => Date.parse(calls(host, 'kubeadm', 'upgrade').find((e) => e.argv[1] !== 'plan' && e.exit === 0)!.time);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-upgrade-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 3, 3) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  writeVersion(FROM);
  const r = await herd(args('apply'));
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('upgrading a 3 + 3 cluster in place', () => {
  it('refuses a skip of two minors before changing anything, naming the path to follow', async () => {
    writeVersion('1.35.0');
    marks.mark();
    const r = await herd(args('apply'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(env.dir, `${ENV}.yaml`)}: kubernetes.version: 1.35.0 is 2 minor versions above the ${FROM} that ${allHosts.join(', ')} run`);
    expect(r.stderr).toContain(`kubeadm upgrades one minor at a time: set 1.34.x, then 1.35.0, applying each in turn`);
    expect(mutatingSinceMark()).toEqual([]);
  }, 60_000);

  it('refuses a downgrade the same way', async () => {
    writeVersion('1.33.1');
    const r = await herd(args('plan'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`kubernetes.version: 1.33.1 is below the ${FROM} that ${allHosts.join(', ')} run; kubeadm does not downgrade: set ${FROM} or later`);
  }, 60_000);

  it('plans control planes one at a time, then workers in batches of two', async () => {
    writeVersion(TO);
    marks.mark();
    const r = await herd(args('plan'));
    expect(r.status, r.stderr).toBe(0);
    const upgradeLines = r.stdout.split('\n').filter((l) => /kubeadm upgrade|batch \d/.test(l)).map((l) => l.trim());
    expect(upgradeLines).toEqual([
      `${ENV}-cp-1: kubeadm upgrade apply v${TO}, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
      `${ENV}-cp-2: kubeadm upgrade node, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
      `${ENV}-cp-3: kubeadm upgrade node, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
      `${ENV}-worker-1: batch 1 of 2: kubeadm upgrade node, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
      `${ENV}-worker-2: batch 1 of 2: kubeadm upgrade node, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
      `${ENV}-worker-3: batch 2 of 2: kubeadm upgrade node, drain, kubelet and kubectl ${FROM} → ${TO}, uncordon when Ready`,
    ]);
    expect(mutatingSinceMark()).toEqual([]);
  }, 60_000);

  it('killed half-way through the workers, is resumed by the next run in the planned order', async () => {
    // SIGKILL once the first worker batch is drained: both its nodes are cordoned, mid-upgrade.
    const killed = await herdKilledWhen(args('apply'), () => workers.slice(0, 2).every((w) => kubectlCalls('drain', w).length > 0));
    expect(killed).toBe('killed');
    const stopped = lab.clusterState()!;
    expect(workers.slice(0, 2).map((w) => stopped.nodes[w]!.unschedulable)).toEqual([true, true]);
    expect(stopped.hosts[workers[2]!]!.kubelet.version).toBe(`v${FROM}`);

    const resumed = await herd(args('apply'));
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${workers[0]}: batch 1 of 2: resume, drain`));
    expect(resumed.stdout).not.toMatch(new RegExp(`${workers[0]}: .*kubeadm upgrade`));

    const state = lab.clusterState()!;
    expect(state.cluster?.kubernetesVersion).toBe(`v${TO}`);
    for (const name of allHosts) {
      expect(state.hosts[name]!.kubelet.version, name).toBe(`v${TO}`);
      expect(state.nodes[name]!.unschedulable, name).toBe(false);
    }
    for (const cp of cps) expect(state.nodes[cp]!.controlPlaneVersion, cp).toBe(`v${TO}`);

    // kubeadm ran once per node for this version, the resumed ones included.
    expect(calls(cps[0]!, 'kubeadm', 'upgrade', 'apply').filter((e) => e.exit === 0)).toHaveLength(1);
    for (const node of [...cps.slice(1), workers[0]!]) expect(calls(node, 'kubeadm', 'upgrade', 'node').filter((e) => e.exit === 0), node).toHaveLength(1);
    // The order the plan gave: apply, then each control plane in turn, then the workers' batches.
    expect(kubeadmUpgradeAt(cps[0]!)).toBeLessThan(kubeadmUpgradeAt(cps[1]!));
    expect(kubectlAt('uncordon', cps[1]!)).toBeLessThan(kubeadmUpgradeAt(cps[2]!));
    expect(kubectlAt('uncordon', cps[2]!)).toBeLessThan(kubectlAt('drain', workers[0]!));
    expect(Math.max(kubectlAt('uncordon', workers[0]!), kubectlAt('uncordon', workers[1]!))).toBeLessThan(kubectlAt('drain', workers[2]!));
  }, 300_000);

  it('a run after the upgrade changes nothing', async () => {
    marks.mark();
    const r = await herd(args('apply'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(mutatingSinceMark()).toEqual([]);
  }, 120_000);
});
