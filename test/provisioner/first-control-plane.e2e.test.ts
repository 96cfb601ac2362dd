import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, journalMarks } from './lab-env.ts';

// herd does not depend on the control plane `kubeadm init` ran on: once it is
// removed (its VM replaced, say), the others issue join credentials and apply
// Calico, and the first control plane comes back by joining their cluster.

const ENV = 'pf';
const NET = 72;
const cp = (i: number): string => `${ENV}-cp-${i}`;

let work: string;
let lab: Lab;
let env: LabEnvironment;
const marks = journalMarks(() => lab);
const args = (...command: string[]): string[] => ['--environments', env.dir, ...command];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-first-cp-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 3, 1) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 3, workers: 1 });
  const r = await herd(args('apply', ENV, '--verify-timeout', '60'));
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('the first control plane', () => {
  it('can be removed while the others serve', async () => {
    const r = await herd(args('node', 'remove', ENV, cp(1), '--address', `127.${NET}.0.11`));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const state = lab.clusterState()!;
    expect(state.etcdMembers.map((m) => m.name).sort()).toEqual([cp(2), cp(3)]);
    expect(Object.keys(state.nodes)).not.toContain(cp(1));
  }, 120_000);

  it('rejoins the cluster the others keep, with credentials they issue, instead of starting a new one', async () => {
    const initializedAt = lab.clusterState()!.cluster!.initializedAt;
    marks.mark();
    const r = await herd(args('apply', ENV, '--verify-timeout', '60'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${cp(1)}: run join-control-plane.sh (kubeadm join)`);
    const kubeadm = (host: string): string[] => marks.sinceMark(host).filter((e) => e.command === 'kubeadm' && e.exit === 0).map((e) => e.argv.slice(0, 2).join(' '));
    expect(kubeadm(cp(1))).toEqual(['join --config']);
    expect(kubeadm(cp(2))).toEqual(['token create', 'init phase']);

    const state = lab.clusterState()!;
    expect(state.cluster!.initializedAt).toBe(initializedAt);
    expect(state.etcdMembers.map((m) => m.name).sort()).toEqual([cp(1), cp(2), cp(3)]);
    expect(state.nodes[cp(1)]?.controlPlane).toBe(true);
  }, 180_000);
});
