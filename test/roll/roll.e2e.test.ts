import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type ClusterState, type JournalEntry, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { herd, herdKilledWhen, journalMarks, type HerdRun } from '../provisioner/lab-env.ts';

// herd node replace and herd roll on the lab, with static hosts that the lab
// re-images (lab rebuild: the same name and address, an empty disk, a new
// host key): one worker replaced; every worker of a 1 + 3 cluster rolled with
// batch size 1, the roll killed half-way and resumed; then the control planes
// raised to 3 and rolled, refused first while one etcd member is unhealthy.
// What the roll did is read back from the hosts' journals (the lab's record
// of every simulated kubectl, kubeadm and etcdctl call) and from the cluster
// state sampled while it ran.

const ENV = 'rl';
const NET = 93;
const CP = (i: number): string => `${ENV}-cp-${i}`;
const WORKER = (i: number): string => `${ENV}-worker-${i}`;
const WORKERS = [WORKER(1), WORKER(2), WORKER(3)];
const CPS = [CP(1), CP(2), CP(3)];

let work: string;
let lab: Lab;
let env: LabEnvironment;
const { mark, sinceMark } = journalMarks(() => lab);

const REIMAGE = (): string => `node bin/herd.mjs --environments ${env.dir} lab rebuild "$HERD_NODE" --env ${ENV}`;
const args = (...more: string[]): string[] => ['--environments', env.dir, ...more];
const roll = (...more: string[]): string[] => args('roll', ENV, '--reimage-command', REIMAGE(), '--ready-timeout', '60', ...more);
const output = (r: HerdRun): string => `${r.stdout}\n${r.stderr}`;
const writeEnv = (controlPlanes: 1 | 3): void =>
  env.write({ controlPlanes, workers: 3 }, {
    controlPlane: { count: controlPlanes, endpoint: { type: 'loadBalancer', address: `127.${NET}.0.5` } },
    upgrade: { workerBatchSize: 1, drainTimeoutSeconds: 30 },
  });

/** Every call on every host since the mark, oldest first, each with the host it ran on. */
const callsSinceMark = (): (JournalEntry & { on: string })[] =>
  lab.hosts.flatMap((h) => sinceMark(h.name).map((e) => ({ ...e, on: h.name }))).sort((a, b) => start(a) - start(b));
const start = (e: JournalEntry): number => Date.parse(e.time) - e.durationMs;
const end = (e: JournalEntry): number => Date.parse(e.time);
const line = (e: JournalEntry): string => `${e.command} ${e.argv.join(' ')}`;
const kubectl = (calls: readonly JournalEntry[], pattern: RegExp): JournalEntry[] => calls.filter((e) => e.command === 'kubectl' && e.exit === 0 && pattern.test(line(e)));
const joins = (calls: readonly (JournalEntry & { on: string })[], node: string): JournalEntry[] => calls.filter((e) => e.on === node && e.command === 'kubeadm' && e.argv[0] === 'join' && e.exit === 0);

/**
 * Samples the simulated cluster every 50 ms while `run` runs: for each
 * sample, which of `nodes` are out (no Node, a Node that is not Ready, or
 * cordoned), and etcd's members with whether their kubelet runs.
 */
async function sampled<T>(nodes: readonly string[], run: () => Promise<T>): Promise<{ result: T; samples: { at: number; out: string[]; etcd: { name: string; healthy: boolean }[] }[] }> {
  const samples: { at: number; out: string[]; etcd: { name: string; healthy: boolean }[] }[] = [];
  const take = (): void => {
    const state: ClusterState | undefined = lab.clusterState();
    if (state === undefined) return;
    const out = nodes.filter((n) => {
      const node = state.nodes[n];
      return node === undefined || node.unschedulable || state.hosts[node.host]?.kubelet.running !== true;
    });
    samples.push({ at: Date.now(), out, etcd: state.etcdMembers.map((m) => ({ name: m.name, healthy: state.hosts[m.name]?.kubelet.running === true })) });
  };
  const timer = setInterval(take, 50);
  try {
    return { result: await run(), samples };
  } finally {
    clearInterval(timer);
    take();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-roll-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  // Addresses as a vSphere allocation from .11 would give them: control planes .11-.13, the pool's block from .16.
  const hosts = [...CPS.map((name, i) => ({ name, address: `127.${NET}.0.${11 + i}` })), ...WORKERS.map((name, i) => ({ name, address: `127.${NET}.0.${16 + i}` }))];
  lab = await startLab({ stateDir: join(work, 'lab'), hosts });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  writeEnv(1);
  const r = await herd(args('apply', ENV, '--verify-timeout', '60'));
  expect(r.status, output(r)).toBe(0);
}, 180_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('herd node replace on static hosts', () => {
  it('drains the worker, removes and resets it, waits for the operator to re-image its host (the old machine refused meanwhile), joins the new one and uncordons it once Ready', async () => {
    const before = { key: lab.hostKey(WORKER(1)), uid: lab.clusterState()!.nodes[WORKER(1)]!.uid };
    mark();
    const replaced = herd(args('node', 'replace', ENV, WORKER(1), '--ready-timeout', '60'));
    // The operator re-images the host once herd has reset it, while herd waits for a new host key.
    const deadline = Date.now() + 60_000;
    while (!sinceMark(WORKER(1)).some((e) => e.command === 'kubeadm' && e.argv[0] === 'reset' && e.exit === 0)) {
      if (Date.now() > deadline) throw new Error('herd did not reset the worker');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3_000));
    await lab.rebuild(WORKER(1));
    const r = await replaced;
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\[${WORKER(1)}\\] waiting up to 1800 s for ${WORKER(1)} \\(127\\.${NET}\\.0\\.16\\) to answer with a new host key`));
    expect(r.stdout).toContain(`[${WORKER(1)}] waiting for the new machine: ${WORKER(1)} (127.${NET}.0.16:22): still the machine that left (its host key did not change)`);
    expect(lab.hostKey(WORKER(1))).not.toBe(before.key);
    const state = lab.clusterState()!;
    expect(state.nodes[WORKER(1)]?.uid).not.toBe(before.uid);
    expect(state.nodes[WORKER(1)]?.unschedulable).toBe(false);
    expect(state.hosts[WORKER(1)]?.kubelet.running).toBe(true);

    const calls = callsSinceMark();
    const drained = kubectl(calls, new RegExp(`drain ${WORKER(1)} `));
    const deleted = kubectl(calls, new RegExp(`delete node ${WORKER(1)}$`));
    const reset = calls.filter((e) => e.on === WORKER(1) && e.command === 'kubeadm' && e.argv[0] === 'reset');
    const joined = joins(calls, WORKER(1));
    const ready = kubectl(calls, new RegExp(`wait --for=condition=Ready node/${WORKER(1)} `));
    expect([drained, deleted, reset, joined, ready].map((l) => l.length)).toEqual([1, 1, 1, 1, 1]);
    // In that order: drained, deleted, reset (the old machine), joined (the new one), Ready.
    const order = [drained[0]!, deleted[0]!, reset[0]!, joined[0]!, ready[0]!].map(start);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Nothing else left or was drained.
    expect(kubectl(calls, /drain|delete node/).map(line).every((l) => l.includes(WORKER(1)))).toBe(true);
  }, 120_000);
});

describe('herd roll of every worker, batch size 1, on static hosts', () => {
  it('is planned by --dry-run, which changes nothing', async () => {
    const record = readFileSync(join(environmentStateDir(ENV), 'roll.json'), 'utf8');
    mark();
    const r = await herd(roll('--pool', 'worker', '--dry-run'));
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toContain(`Plan: herd roll ${ENV} --pool worker`);
    for (const [i, w] of WORKERS.entries()) expect(r.stdout).toContain(`batch ${i + 1} of 3: ${w} (to do)`);
    expect(r.stdout).toContain(`${WORKER(2)}: run the re-image command with HERD_NODE=${WORKER(2)} HERD_NODE_ADDRESS=127.${NET}.0.17`);
    expect(callsSinceMark().filter((e) => e.mutating)).toEqual([]);
    expect(readFileSync(join(environmentStateDir(ENV), 'roll.json'), 'utf8')).toBe(record);
  }, 60_000);

  it('killed half-way (SIGKILL), resumes and finishes without repeating done nodes; never more than one worker out; each back before the next leaves', async () => {
    const keys = Object.fromEntries(WORKERS.map((w) => [w, lab.hostKey(w)]));
    mark();
    const { result, samples } = await sampled(WORKERS, async () => {
      // Killed once worker-2 is out of the cluster: worker-1 done, worker-2 half-way. (Only the control
      // plane's journal is read meanwhile: a host being rebuilt has none for a moment.)
      const killed = await herdKilledWhen(roll('--pool', 'worker'), () => kubectl(sinceMark(CP(1)), new RegExp(`delete node ${WORKER(2)}$`)).length > 0);
      expect(killed).toBe('killed');
      const progress = JSON.parse(readFileSync(join(environmentStateDir(ENV), 'roll.json'), 'utf8')) as { nodes: Record<string, { step: string }> };
      expect(progress.nodes[WORKER(1)]?.step).toBe('done');
      expect(progress.nodes[WORKER(3)]?.step).toBe('waiting');
      return herd(roll('--pool', 'worker'));
    });
    expect(result.status, output(result)).toBe(0);
    expect(result.stdout).toContain(`batch 1 of 3: ${WORKER(1)} (done)`);
    expect(result.stdout).toMatch(new RegExp(`batch 2 of 3: ${WORKER(2)} \\(resumes: `));

    const calls = callsSinceMark();
    // Each worker: drained once, joined once, on a new machine; the kill repeated nothing.
    for (const w of WORKERS) {
      expect(kubectl(calls, new RegExp(`drain ${w} `)), w).toHaveLength(1);
      expect(joins(calls, w), w).toHaveLength(1);
      expect(lab.hostKey(w), w).not.toBe(keys[w]);
    }
    // From the journals: a worker's time out runs from the start of its drain to the end of the wait
    // that saw its new machine Ready; those times never overlap, and come in the batches' order.
    const out = WORKERS.map((w) => {
      const drain = kubectl(calls, new RegExp(`drain ${w} `))[0]!;
      const ready = kubectl(calls, new RegExp(`wait --for=condition=Ready node/${w} `)).filter((e) => start(e) > start(joins(calls, w)[0]!));
      expect(ready.length, `${w} came back Ready`).toBeGreaterThan(0);
      return { w, from: start(drain), to: end(ready[0]!) };
    });
    for (let i = 1; i < out.length; i++) expect(out[i]!.from, `${out[i]!.w} left after ${out[i - 1]!.w} was back`).toBeGreaterThan(out[i - 1]!.to);
    // Every deletion, reset and join of a worker falls inside that worker's own time out.
    for (const e of calls.filter((c) => /delete node|drain|uncordon/.test(line(c)) || (c.command === 'kubeadm' && WORKERS.includes(c.on)))) {
      const w = WORKERS.find((name) => line(e).includes(name) || e.on === name)!;
      const span = out.find((o) => o.w === w)!;
      expect(start(e) >= span.from - 1 && end(e) <= span.to + 1, `${line(e)} on ${e.on} within ${w}'s time out`).toBe(true);
    }
    // And as the cluster looked while it ran: never more than one worker absent, NotReady or cordoned.
    expect(samples.length).toBeGreaterThan(50);
    expect(Math.max(...samples.map((s) => s.out.length))).toBe(1);
    expect(samples.at(-1)!.out).toEqual([]);
  }, 240_000);
});

describe('herd roll of 3 control planes', () => {
  beforeAll(async () => {
    writeEnv(3);
    const r = await herd(args('apply', ENV, '--verify-timeout', '60'));
    expect(r.status, output(r)).toBe(0);
    expect(lab.clusterState()!.etcdMembers.map((m) => m.name).sort()).toEqual(CPS);
  }, 120_000);

  it('is refused before it starts while an etcd member is unhealthy, and touches nothing', async () => {
    await lab.exec(CP(2), 'systemctl stop kubelet');
    try {
      mark();
      const r = await herd(roll('--pool', 'cp'));
      expect(r.status, output(r)).toBe(2);
      expect(r.stderr).toContain(`herd roll ${ENV} --pool cp cannot start:`);
      expect(r.stderr).toContain(`etcd has 3 members (${CPS.join(', ')}), 2 healthy; it must have all 3 control planes (${CPS.join(', ')}) as healthy members; unhealthy: ${CP(2)}`);
      expect(r.stderr).toContain('Nothing was changed.');
      expect(callsSinceMark().filter((e) => e.mutating)).toEqual([]);
    } finally {
      await lab.exec(CP(2), 'systemctl start kubelet');
    }
  }, 60_000);

  it('replaces them one at a time: etcd has 3 healthy members before each removal and after each rejoin', async () => {
    const keys = Object.fromEntries(CPS.map((cp) => [cp, lab.hostKey(cp)]));
    mark();
    const { result, samples } = await sampled(CPS, () => herd(roll('--pool', 'cp')));
    expect(result.status, output(result)).toBe(0);
    const calls = callsSinceMark();
    const removals = kubectl(calls, /etcdctl .*member remove/);
    expect(removals).toHaveLength(3);
    const healthy = (s: (typeof samples)[number]): boolean => s.etcd.length === 3 && s.etcd.every((m) => m.healthy);
    for (const [i, cp] of CPS.entries()) {
      expect(lab.hostKey(cp), cp).not.toBe(keys[cp]);
      const removal = removals[i]!;
      const joined = joins(calls, cp);
      expect(joined, cp).toHaveLength(1);
      // Before its removal: the last sample shows 3 members, all healthy, and a health check of the whole cluster passed.
      expect(healthy(samples.filter((s) => s.at < start(removal)).at(-1)!), `etcd before ${cp} left`).toBe(true);
      expect(kubectl(calls, /etcdctl .*endpoint health --cluster/).some((e) => end(e) <= start(removal) && (i === 0 || start(e) > end(joins(calls, CPS[i - 1]!)[0]!))), `health checked before ${cp} left`).toBe(true);
      // After its join: a health check passed, and the cluster showed 3 healthy members with it, before the next one left.
      const next = removals[i + 1];
      const between = samples.filter((s) => s.at > end(joined[0]!) && (next === undefined || s.at < start(next)));
      expect(between.some((s) => healthy(s) && s.etcd.some((m) => m.name === cp)), `etcd after ${cp} joined again`).toBe(true);
      expect(kubectl(calls, /etcdctl .*endpoint health --cluster/).some((e) => start(e) > end(joined[0]!) && (next === undefined || end(e) < start(next))), `health checked after ${cp} joined`).toBe(true);
    }
    // One at a time: never two control planes out.
    expect(Math.max(...samples.map((s) => s.out.length))).toBe(1);
    expect(lab.clusterState()!.etcdMembers.map((m) => m.name).sort()).toEqual(CPS);
  }, 240_000);
});
