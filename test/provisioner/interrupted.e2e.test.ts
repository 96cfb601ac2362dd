import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type JournalEntry, type Lab } from '../../scripts/lab/lab.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, herdKilledWhen } from './lab-env.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';

// A run killed at any point is finished by the next one, with the same end
// state as a run that was never interrupted. Each case starts from fresh lab
// hosts (3 control planes behind a load balancer address, 1 worker), kills
// `herd apply` with SIGKILL when the journals show the moment, and runs again.

const ENV = 'pk';
const NET = 34;

let work: string;
let lab: Lab;
let env: LabEnvironment;

const hosts = labHosts(ENV, NET, 3, 1);
const args = (command: string): string[] => ['--environments', env.dir, command, ENV, '--verify-timeout', '60'];

async function freshLab(): Promise<void> {
  await lab?.stop();
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  rmSync(env.knownHosts, { force: true });
  env.write({ controlPlanes: 3, workers: 1 });
}

/** What the cluster and its hosts ended up as, without timestamps or generated secrets. */
function endState(): unknown {
  const state = lab.clusterState();
  return {
    nodes: Object.values(state?.nodes ?? {})
      .map((n) => ({ name: n.name, controlPlane: n.controlPlane, version: n.controlPlaneVersion, labels: n.labels, taints: n.taints, unschedulable: n.unschedulable }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    etcd: (state?.etcdMembers ?? []).map((m) => m.name).sort(),
    resources: Object.keys(state?.resources ?? {}).sort(),
  };
}

const called = (entries: JournalEntry[], command: string, sub: string): JournalEntry[] => entries.filter((e) => e.command === command && e.argv[0] === sub);

let reference: unknown;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-interrupted-'));
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('an interrupted herd apply', () => {
  it('uninterrupted, joins the control planes one at a time', async () => {
    await freshLab();
    const r = await herd(args('apply'));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const joins = [`${ENV}-cp-2`, `${ENV}-cp-3`].map((h) => {
      const [entry] = called(lab.journal(h), 'kubeadm', 'join').filter((e) => e.exit === 0);
      expect(entry, h).toBeDefined();
      const end = Date.parse(entry!.time);
      return { start: end - entry!.durationMs, end };
    });
    expect(joins[1]!.start).toBeGreaterThanOrEqual(joins[0]!.end);
    reference = endState();
    expect((reference as { etcd: string[] }).etcd).toHaveLength(3);
  }, 120_000);

  const cases: Array<[string, (journal: (host: string) => JournalEntry[]) => boolean]> = [
    ['after every node was prepared', (j) => hosts.every((h) => called(j(h.name), 'systemctl', 'is-enabled').some((e) => e.argv.includes('kubelet')))],
    ['mid-script, while prepare-node.sh installs packages', (j) => called(j(`${ENV}-worker-1`), 'apt-get', 'install').length > 0],
    ['during the first control plane’s kubeadm init', (j) => called(j(`${ENV}-cp-1`), 'kubeadm', 'init').length > 0],
    ['between two control-plane joins', (j) => called(j(`${ENV}-cp-2`), 'kubeadm', 'join').some((e) => e.exit === 0)],
  ];

  it.each(cases)('killed %s, is finished by the next run with the same end state', async (_when, moment) => {
    await freshLab();
    expect(await herdKilledWhen(args('apply'), () => moment((h) => lab.journal(h)))).toBe('killed');
    const r = await herd(args('apply'));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(endState()).toEqual(reference);
    expect((await herd(args('plan'))).stdout).toContain('no changes');
  }, 180_000);
});
