import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, type HerdRun, journalMarks } from './lab-env.ts';
import { fabricHosts, labEnvironment, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { labRouters } from '../../scripts/lab/environment.ts';
import { loadEnvironment } from '../../stacks/environment/load.ts';

// herd apply on lab hosts: real sshd, real bash running the rendered scripts,
// simulated Kubernetes tools that keep their state on the hosts, on a fabric
// (198.18.31.0/24, bastion 127.31.0.10) with a real FRR as the BGP peer, whose
// password is the canary. The journals the simulators keep say which commands
// ran where and whether they changed anything.

const ENV = 'pa';
const NET = 31;
const CANARY = 'canary-bgp-7f3a9c1d';
const BOOTSTRAP_TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/;
const PEER = { name: 'pa-tor', address: `198.18.${NET}.2`, asNumber: 65001, passwordFrom: { env: 'PA_BGP_PASSWORD' } };
const FABRIC = fabricHosts(ENV, NET, 1, 3);
const address = (name: string): string => FABRIC.hosts.find((h) => h.name === `${ENV}-${name}`)!.address;
const runEnv = { ...process.env, PA_BGP_PASSWORD: CANARY };

let lab: Lab;
let env: LabEnvironment;
let work: string;
const { mark, sinceMark } = journalMarks(() => lab);

/** The environment with this many workers, and the router loaded with what herd peers renders for it. */
async function writeEnvironment(workers: number, ssh?: Record<string, unknown>): Promise<void> {
  env.write({ controlPlanes: 1, workers }, { calico: { version: '3.32.1', bgp: { peers: [PEER] } }, ...(ssh ? { ssh } : {}) });
  await lab.startRouters(labRouters(loadEnvironment(env.file), runEnv));
}

const args = (command: string): string[] => ['--environments', env.dir, command, ENV, '--verify-timeout', '60'];
const apply = (): Promise<HerdRun> => herd(args('apply'), runEnv);
const output = (r: HerdRun): string => `${r.stdout}\n${r.stderr}`;

const mutating = (host: string): string[] => sinceMark(host).filter((e) => e.mutating).map((e) => `${e.command} ${e.argv.join(' ')}`);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-apply-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: FABRIC.hosts, isolated: { bastion: { name: `${ENV}-bastion`, address: `127.${NET}.0.10` }, fabric: FABRIC.fabric } });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  await writeEnvironment(2);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('herd apply on the lab', () => {
  it('plan on fresh hosts lists every step per host and changes nothing', async () => {
    mark();
    const r = await herd(args('plan'), runEnv);
    // Changes pending: herd plan exits 2, as terraform plan -detailed-exitcode does.
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toContain(`${ENV}-cp-1: upload`);
    expect(r.stdout).toContain(`${ENV}-cp-1: run init-control-plane.sh (kubeadm init)`);
    expect(r.stdout).toContain(`${ENV}-worker-2: run join-worker.sh (kubeadm join)`);
    expect(r.stdout).toContain(`${ENV}-cp-1: run apply-calico.sh`);
    for (const h of lab.hosts) expect(mutating(h.name), h.name).toEqual([]);
  });

  it('brings fresh hosts to a verified 1 + 2 cluster', async () => {
    mark();
    const r = await apply();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/HOST\s+PHASE\s+STEP\s+RESULT/);
    const nodes = lab.clusterState()?.nodes ?? {};
    expect(Object.keys(nodes).sort()).toEqual([`${ENV}-cp-1`, `${ENV}-worker-1`, `${ENV}-worker-2`]);
    expect(sinceMark(`${ENV}-worker-3`)).toEqual([]);
  }, 180_000);

  it('a second apply plans no changes and mutates nothing on any host', async () => {
    mark();
    const r = await apply();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('no changes');
    for (const h of lab.hosts) expect(mutating(h.name), h.name).toEqual([]);
  }, 120_000);

  it('+1 worker joins only that worker; the control plane issues a token and applies only the new node’s own objects', async () => {
    await writeEnvironment(3);
    mark();
    const r = await apply();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(mutating(`${ENV}-worker-3`)).toEqual(expect.arrayContaining([expect.stringMatching(/^kubeadm join/)]));
    expect(mutating(`${ENV}-worker-1`)).toEqual([]);
    expect(mutating(`${ENV}-worker-2`)).toEqual([]);
    expect(mutating(`${ENV}-cp-1`), 'control plane').toEqual([
      expect.stringMatching(/^kubeadm token create /),
      `kubectl --kubeconfig /etc/kubernetes/admin.conf apply --server-side --field-manager=herd --force-conflicts -f /etc/herd/calico/nodes/${ENV}-worker-3.yaml`,
    ]);
    expect(Object.keys(lab.clusterState()?.nodes ?? {})).toHaveLength(4);
  }, 120_000);

  it('no secret reached a log, a local file, the output or a command line', async () => {
    const runs = [await herd(args('apply'), runEnv, { watchCommandLines: true })];
    for (const r of runs) {
      for (const text of [r.stdout, r.stderr, ...r.commandLines]) {
        expect(text).not.toContain(CANARY);
        expect(text).not.toMatch(BOOTSTRAP_TOKEN);
      }
    }
    for (const file of [...filesUnder(environmentStateDir(ENV)), env.knownHosts]) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(CANARY);
      expect(text, file).not.toMatch(BOOTSTRAP_TOKEN);
    }
    const logs = filesUnder(join(environmentStateDir(ENV), 'logs'));
    expect(logs.length).toBeGreaterThan(0);
    for (const log of logs) expect(statSync(log).mode & 0o077, log).toBe(0);
  }, 120_000);

  it('herd kubeconfig fetches the admin kubeconfig into a 0600 file', async () => {
    const out = join(work, 'admin.conf');
    const r = await herd(['--environments', env.dir, 'kubeconfig', ENV, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${out} (from ${ENV}-cp-1); use it with: export KUBECONFIG=${out}\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain(`server: https://${address('cp-1')}:6443`);
  });

  it('logs in through ssh-agent when the environment says agent: true', async () => {
    const agent = spawnSync('ssh-agent', ['-s'], { encoding: 'utf8' });
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent.stdout)?.[1];
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agent.stdout)?.[1];
    expect(sock, agent.stderr).toBeDefined();
    try {
      expect(spawnSync('ssh-add', [lab.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status).toBe(0);
      await writeEnvironment(3, { user: lab.user, agent: true, knownHostsFile: env.knownHosts, bastion: { host: lab.bastion!.address, user: lab.user } });
      const r = await herd(args('plan'), { ...runEnv, SSH_AUTH_SOCK: sock });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('no changes');
    } finally {
      process.kill(Number(pid));
      await writeEnvironment(3);
    }
  });

  it('a changed host key is refused, naming host and fingerprints, and nothing is done on any host', async () => {
    await lab.setFault(`${ENV}-worker-1`, { kind: 'hostKeyChange' });
    mark();
    const r = await apply();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`herd: refused 1 host whose host key changed:\n  ${ENV}-worker-1 (${address('worker-1')}:22): HOST KEY CHANGED for ${address('worker-1')}`);
    expect(r.stderr).not.toContain('cannot reach');
    expect(r.stderr).toMatch(/records ssh-ed25519 SHA256:\S+, the host now offers ssh-ed25519 SHA256:\S+/);
    expect(r.stderr).toContain(`herd forget-host ${ENV} ${ENV}-worker-1`);
    for (const h of lab.hosts) expect(sinceMark(h.name), h.name).toEqual([]);

    const forget = await herd(['--environments', env.dir, 'forget-host', ENV, `${ENV}-worker-1`]);
    expect(forget.stdout).toContain('1 entry removed');
    const again = await apply();
    expect(again.status, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toContain(`[${ENV}-worker-1] first contact: recorded host key SHA256:`);
  }, 120_000);

  it('herd node remove drains, then deletes the Node on the control plane, then resets the node, and forgets its key', async () => {
    mark();
    const r = await herd(['--environments', env.dir, 'node', 'remove', ENV, `${ENV}-worker-3`, '--address', address('worker-3')]);
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).not.toContain('WARNING');
    const when = (host: string, command: string, sub: string): number => {
      const entry = sinceMark(host).find((e) => e.command === command && e.argv.includes(sub) && e.mutating);
      expect(entry, `${host}: ${command} ${sub}`).toBeDefined();
      return Date.parse(entry!.time);
    };
    const drained = when(`${ENV}-cp-1`, 'kubectl', 'drain');
    const deleted = when(`${ENV}-cp-1`, 'kubectl', 'delete');
    const reset = when(`${ENV}-worker-3`, 'kubeadm', 'reset');
    expect(drained).toBeLessThan(deleted);
    expect(deleted).toBeLessThan(reset);
    expect(Object.keys(lab.clusterState()?.nodes ?? {})).not.toContain(`${ENV}-worker-3`);
    expect(readFileSync(env.knownHosts, 'utf8')).not.toContain(`${address('worker-3')} `);
  }, 120_000);

  it('removes a node that cannot be reached from the cluster anyway, with a warning', async () => {
    await lab.setFault(`${ENV}-worker-2`, { kind: 'refuseConnections' });
    const r = await herd(['--environments', env.dir, 'node', 'remove', ENV, `${ENV}-worker-2`, '--address', address('worker-2')]);
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toContain(`WARNING: ${ENV}-worker-2 (${address('worker-2')}) was not reset (kubeadm reset): cannot reach 1 host`);
    expect(Object.keys(lab.clusterState()?.nodes ?? {})).not.toContain(`${ENV}-worker-2`);
    await lab.clearFaults(`${ENV}-worker-2`);
  }, 120_000);
});
