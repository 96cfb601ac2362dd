import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herdApp } from '../../stacks/app.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { startLab, type JournalEntry, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { journalMarks } from '../provisioner/lab-env.ts';

// Day two through Terraform, on a lab of 3 control planes and 3 workers: a
// pool lowered 3 → 1 with one node unreachable, a control-plane change that
// would cost etcd its quorum (refused before anything is touched), the
// control planes lowered 3 → 1, `herd reset` and a following apply, and a
// destroy of the stack. Terraform runs the synthesized JSON of a copy of the
// project directly, as cdktf does underneath; the control planes' 3 → 1 goes
// through `npx cdktf deploy` itself.

const ENV = 'shrink';
const NET = 50;
const project = mkdtempSync(join(tmpdir(), 'herd-scale-down-'));
const stackDir = join(project, 'cdktf.out', 'stacks', ENV);
const tfEnv = quietTerraformEnv({ ...process.env });
const endpoint = { type: 'loadBalancer', address: `127.${NET}.0.5` };
const node = (name: string): string => `${ENV}-${name}`;

let lab: Lab;
let env: LabEnvironment;
const { mark, sinceMark } = journalMarks(() => lab);

// cdktf colours its output; assertions read plain text.
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function run(command: string, args: string[], cwd: string): { status: number | null; out: string; seconds: number } {
  const started = performance.now();
  const r = spawnSync(command, args, { cwd, env: tfEnv, encoding: 'utf8' });
  return { status: r.status, out: plain(`${r.stdout}\n${r.stderr}`), seconds: (performance.now() - started) / 1000 };
}

const terraform = (...args: string[]) => run('terraform', [...args, '-no-color', '-input=false'], stackDir);
const herd = (...args: string[]) => run('node', ['bin/herd.mjs', ...args], project);

/** Writes the environment with these counts (the endpoint stays the load balancer) and synthesizes its stack. */
function deployable(controlPlanes: 1 | 3, workers: number): void {
  env.write({ controlPlanes, workers }, { controlPlane: { count: controlPlanes, endpoint } });
  herdApp({ outdir: join(project, 'cdktf.out'), environmentsDir: env.dir, environments: [ENV] }).synth();
}

/** One host's journal since the mark, as "<time> <host> <command and arguments>" for the calls that changed something. */
function changes(hosts: readonly string[]): { time: string; line: string }[] {
  return hosts
    .flatMap((h) => sinceMark(h).filter((e: JournalEntry) => e.mutating).map((e) => ({ time: e.time, line: `${h}: ${e.command} ${e.argv.join(' ')}` })))
    .sort((a, b) => a.time.localeCompare(b.time));
}

/** Index of the first change whose line matches, failing the test when there is none. */
function at(list: { line: string }[], pattern: RegExp): number {
  const i = list.findIndex((c) => pattern.test(c.line));
  expect(i, `${pattern} in\n${list.map((c) => c.line).join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

const members = (): string[] => (lab.clusterState()?.etcdMembers ?? []).map((m) => m.name).sort();
const nodes = (): string[] => Object.keys(lab.clusterState()?.nodes ?? {}).sort();

beforeAll(async () => {
  for (const entry of ['bin', 'scripts', 'stacks', 'templates', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc']) {
    cpSync(join(PROJECT_DIR, entry), join(project, entry), { recursive: true });
  }
  symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(project, 'node_modules'));
  lab = await startLab({ stateDir: join(project, '.herd', 'lab'), hosts: labHosts(ENV, NET, 3, 3) });
  env = labEnvironment(ENV, join(project, 'stacks', 'environments'), lab, NET);
  deployable(3, 3);
  expect(terraform('init').status).toBe(0);
}, 180_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(project, { recursive: true, force: true });
});

describe('scaling down on the lab', () => {
  it('deploys 3 control planes and 3 workers', () => {
    const r = terraform('apply', '-auto-approve');
    expect(r.status, r.out).toBe(0);
    expect(members()).toEqual([node('cp-1'), node('cp-2'), node('cp-3')]);
    expect(nodes()).toHaveLength(6);
  }, 300_000);

  it('a pool lowered 3 → 1 drains, deletes and resets one node at a time, and an unreachable node goes with a warning', async () => {
    await lab.setFault(node('worker-3'), { kind: 'refuseConnections' });
    deployable(3, 1);
    mark();
    const r = terraform('apply', '-auto-approve');
    await lab.clearFaults(node('worker-3'));
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`WARNING: ${node('worker-3')} (127.${NET}.1.13) cannot be reached: it was removed from the cluster without draining`);
    expect(r.out).toContain(`WARNING: ${node('worker-3')} (127.${NET}.1.13) was not reset (kubeadm reset)`);
    expect(nodes()).toEqual([node('cp-1'), node('cp-2'), node('cp-3'), node('worker-1')]);

    const list = changes(lab.hosts.map((h) => h.name));
    // worker-2: drained, deleted, reset, in that order; worker-3: deleted without a drain.
    const drained = at(list, new RegExp(`kubectl .*drain ${node('worker-2')}`));
    const deleted = at(list, new RegExp(`kubectl .*delete node ${node('worker-2')}`));
    const reset = at(list, new RegExp(`^${node('worker-2')}: kubeadm reset`));
    expect(drained).toBeLessThan(deleted);
    expect(deleted).toBeLessThan(reset);
    at(list, new RegExp(`kubectl .*delete node ${node('worker-3')}`));
    expect(list.some((c) => c.line.includes(`drain ${node('worker-3')}`))).toBe(false);
  }, 300_000);

  it('refuses 3 → 1 control planes while the one that stays is unhealthy, before anything is touched', async () => {
    await lab.exec(node('cp-1'), 'systemctl stop kubelet');
    deployable(1, 1);
    mark();
    const r = terraform('apply', '-auto-approve');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('refused: removing');
    expect(r.out).toContain(`(unhealthy: ${node('cp-1')}): not a majority, so etcd would lose quorum`);
    expect(changes(lab.hosts.map((h) => h.name))).toEqual([]);
    expect(members()).toEqual([node('cp-1'), node('cp-2'), node('cp-3')]);
    // The machines stay: their hooks are still in the state.
    const state = run('terraform', ['state', 'list'], stackDir);
    expect(state.out).toContain(`terraform_data.node_removal["${node('cp-2')}"]`);
    expect(state.out).toContain(`terraform_data.node_removal["${node('cp-3')}"]`);
  }, 300_000);

  it('lowers 3 → 1 control planes one at a time, each etcd member removed before its Node, once the survivor is healthy', async () => {
    await lab.exec(node('cp-1'), 'systemctl start kubelet');
    mark();
    // The operators' path, this once: cdktf synthesizes the lowered count itself and applies it.
    const r = run('npx', ['cdktf', 'deploy', ENV, '--auto-approve'], project);
    expect(r.status, r.out).toBe(0);
    console.log(`3 → 1 control planes: npx cdktf deploy took ${r.seconds.toFixed(1)} s`);
    expect(members()).toEqual([node('cp-1')]);
    expect(nodes()).toEqual([node('cp-1'), node('worker-1')]);

    const list = changes(lab.hosts.map((h) => h.name));
    const steps = (cp: string) => ({
      drained: at(list, new RegExp(`kubectl .*drain ${node(cp)}`)),
      member: at(list, /kubectl .*etcdctl .*member remove/),
      deleted: at(list, new RegExp(`kubectl .*delete node ${node(cp)}`)),
      reset: at(list, new RegExp(`^${node(cp)}: kubeadm reset`)),
    });
    const [first, second] = [steps('cp-2'), steps('cp-3')].sort((a, b) => a.drained - b.drained);
    // Both member removals: the second comes after the first removal's reset.
    const removals = list.flatMap((c, i) => (/etcdctl .*member remove/.test(c.line) ? [i] : []));
    expect(removals).toHaveLength(2);
    expect(first!.drained).toBeLessThan(removals[0]!);
    expect(removals[0]!).toBeLessThan(first!.deleted);
    expect(first!.deleted).toBeLessThan(first!.reset);
    expect(first!.reset).toBeLessThan(second!.drained);
    expect(second!.drained).toBeLessThan(removals[1]!);
    expect(removals[1]!).toBeLessThan(second!.deleted);
    expect(second!.deleted).toBeLessThan(second!.reset);
  }, 300_000);

  it('herd reset returns every host to prepared, keeping known_hosts, and herd apply builds the cluster again', async () => {
    const knownHosts = readFileSync(env.knownHosts, 'utf8');
    const r = herd('reset', ENV, '--yes');
    expect(r.status, r.out).toBe(0);
    expect(lab.clusterState()?.cluster).toBeNull();
    for (const host of [node('cp-1'), node('worker-1')]) {
      const left = await lab.exec(host, 'find /etc/kubernetes/manifests /etc/cni/net.d /var/lib/herd/applied -mindepth 1 2>/dev/null; ls /etc/kubernetes/*.conf 2>/dev/null; true');
      expect(left.stdout, host).toBe('');
      const installed = await lab.exec(host, "dpkg-query -W -f '${Status}' kubeadm kubelet containerd.io");
      // Held at their version by prepare-node.sh, and still there.
      expect(installed.stdout, host).toBe('hold ok installed'.repeat(3));
    }
    expect(readFileSync(env.knownHosts, 'utf8')).toBe(knownHosts);

    const again = herd('apply', ENV);
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain(`[${node('cp-1')}] init: run init-control-plane.sh (kubeadm init) ok`);
    expect(nodes()).toEqual([node('cp-1'), node('worker-1')]);
  }, 300_000);

  it('destroying the stack resets every node without draining it', () => {
    mark();
    const r = terraform('destroy', '-auto-approve');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('the whole environment goes');
    const list = changes(lab.hosts.map((h) => h.name));
    expect(list.some((c) => c.line.includes(' drain '))).toBe(false);
    at(list, new RegExp(`^${node('cp-1')}: kubeadm reset`));
    at(list, new RegExp(`^${node('worker-1')}: kubeadm reset`));
  }, 120_000);
});
