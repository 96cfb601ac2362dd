import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redactor } from '../../scripts/provisioner/redact.ts';
import { parseFacts } from '../../scripts/provisioner/facts.ts';
import { hostProblems } from '../../scripts/provisioner/host-checks.ts';
import { Reporter } from '../../scripts/provisioner/report.ts';
import { RemoteHost } from '../../scripts/provisioner/remote-host.ts';
import { withStep } from '../../scripts/provisioner/node-commands.ts';
import type { SshSession } from '../../scripts/ssh/session.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';

const PROBE_OUTPUT = [
  'os.id=debian',
  'os.version=12',
  'hostname=lab-cp-1',
  'cpus=2',
  'memory.kib=4039068',
  'clock.epoch=1000',
  'address.local=yes',
  'file:/etc/kubernetes/admin.conf=present',
  'package:kubelet=1.34.2-1.1',
  'applied:prepare=abc123',
  '',
].join('\n');

describe('provisioner units', () => {
  it('redacts every known secret, longest first', () => {
    const r = new Redactor();
    r.add('abcdef.0123456789abcdef');
    r.add('abcdef');
    r.add('');
    expect(r.redact('token abcdef.0123456789abcdef and abcdef')).toBe('token [redacted] and [redacted]');
  });

  it('probe.sh and cluster-read.sh pass shellcheck', () => {
    const r = spawnSync('shellcheck', ['probe.sh', 'cluster-read.sh'].map((f) => resolve(import.meta.dirname, '../../scripts/provisioner', f)), { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('parses what probe.sh prints', () => {
    const facts = parseFacts(PROBE_OUTPUT, 1003);
    expect(facts).toMatchObject({ os: { id: 'debian', version: '12' }, cpus: 2, memoryMiB: 3944, clockSkewSeconds: -3, addressIsLocal: true });
    expect([...facts.files]).toEqual(['/etc/kubernetes/admin.conf']);
    expect(facts.packages.get('kubelet')).toBe('1.34.2-1.1');
    expect(facts.applied.get('prepare')).toBe('abc123');
  });

  it('names every reason a host cannot serve as its node', () => {
    const node = computeCluster(loadEnvironmentByName('lab')).controlPlanes[0]!;
    expect(hostProblems(node, parseFacts(PROBE_OUTPUT, 1000))).toEqual([]);
    const bad = parseFacts(PROBE_OUTPUT.replace('os.id=debian', 'os.id=centos').replace('cpus=2', 'cpus=1').replace('address.local=yes', 'address.local=no'), 1100);
    expect(hostProblems(node, bad)).toEqual([
      'runs centos 12; supported: debian 12/13, ubuntu 22.04/24.04',
      '198.18.10.11 is not an address of this host (the environment gives it to lab-cp-1)',
      'its clock is -100 s off ours (at most 30 s): check NTP',
      'has 1 CPUs; a controlPlane needs at least 2',
    ]);
  });

  it('keeps secrets out of the console and the per-host log', () => {
    const redactor = new Redactor();
    redactor.add('CANARY-bgp-secret');
    const dir = mkdtempSync(join(tmpdir(), 'herd-report-'));
    let out = '';
    const reporter = new Reporter(redactor, dir, { isTTY: false, write: (t) => (out += t) });
    reporter.info('lab-cp-1', 'password is CANARY-bgp-secret');
    reporter.output('lab-cp-1', 'kubectl printed CANARY-bgp-secret\n');
    reporter.addSecret('CANARY-join-token');
    reporter.stepStarted('lab-cp-1', 'join', 'run join');
    reporter.stepFinished({ host: 'lab-cp-1', phase: 'join', step: 'run join', outcome: 'failed', seconds: 1, detail: 'token CANARY-join-token refused' });
    const log = readFileSync(reporter.logFile('lab-cp-1'), 'utf8');
    for (const text of [out, log, reporter.summary()]) {
      expect(text).not.toContain('CANARY');
    }
    expect(out).toContain('[lab-cp-1] join: run join failed (1.0 s): token [redacted] refused');
    expect(log).toContain('kubectl printed [redacted]');
  });

  it('on a terminal, shows what each host is doing in a block it redraws, and keeps finished lines above it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-report-'));
    let out = '';
    const reporter = new Reporter(new Redactor(), dir, { isTTY: true, write: (t) => (out += t) });
    reporter.stepStarted('cp-1', 'prepare', 'run prepare-node.sh');
    reporter.stepStarted('worker-1', 'prepare', 'run prepare-node.sh');
    const cp = '  … [cp-1] prepare: run prepare-node.sh\n';
    const worker = '  … [worker-1] prepare: run prepare-node.sh\n';
    expect(out).toBe(`${cp}\x1b[1A\x1b[J${cp}${worker}`);
    out = '';
    reporter.stepFinished({ host: 'cp-1', phase: 'prepare', step: 'run prepare-node.sh', outcome: 'ok', seconds: 2 });
    expect(out).toBe('\x1b[2A\x1b[J[cp-1] prepare: run prepare-node.sh ok (2.0 s)\n  … [worker-1] prepare: run prepare-node.sh\n');
  });
});

describe('a step on a node, in one exchange (node-commands.ts withStep)', () => {
  // The node side runs here with real bash, install and coreutils, in a folder of its own (the tests run as root, as CI does).
  const run = (argv: readonly string[], stdin: string, cwd: string) => spawnSync(argv[0]!, argv.slice(1), { input: stdin, cwd, encoding: 'utf8' });
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-step-'));
    mkdirSync(join(dir, 'home'));
    return { dir, home: join(dir, 'home'), applied: join(dir, 'applied'), dest: (name: string) => join(dir, 'etc', name) };
  };

  it('places the files with their modes, marks, runs the command, then records; the staging folder is gone', () => {
    const t = setup();
    const files = [
      { dest: t.dest('a.conf'), content: 'first\n', mode: 0o644 },
      { dest: t.dest('sub/b.yaml'), content: 'ä second, not ASCII\n', mode: 0o600 },
    ];
    // The command sees the files and the mark, and reads what is left of stdin (a step's secrets come after its files).
    const command = ['bash', '-c', 'cat "$1" "$2"; cat "$3/started"; echo; cat', 'check', files[0]!.dest, files[1]!.dest, t.applied];
    const step = withStep(command, { files, clear: [], marks: { started: 'v2' }, records: { prepare: 'abc' } }, t.applied);
    const r = run(step.argv, `${step.stdin}rest of stdin\n`, t.home);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('first\nä second, not ASCII\nv2\nrest of stdin\n');
    expect(statSync(files[1]!.dest).mode & 0o777).toBe(0o600);
    expect(statSync(files[0]!.dest).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(t.applied, 'prepare'), 'utf8')).toBe('abc');
    expect(readdirSync(t.home)).toEqual([]);
  });

  it('records nothing when the command fails, and passes its exit code on; the mark stays', () => {
    const t = setup();
    const step = withStep(['bash', '-c', 'exit 7'], { files: [], clear: [], marks: { started: 'v2' }, records: { prepare: 'abc' } }, t.applied);
    const r = run(step.argv, step.stdin, t.home);
    expect(r.status).toBe(7);
    expect(readdirSync(t.applied)).toEqual(['started']);
  });

  it('clears folders before placing files', () => {
    const t = setup();
    mkdirSync(t.dest('nodes'), { recursive: true });
    writeFileSync(t.dest('nodes/gone.yaml'), 'a node that left');
    const step = withStep([], { files: [{ dest: t.dest('nodes/kept.yaml'), content: 'x', mode: 0o644 }], clear: [t.dest('nodes')], marks: {}, records: {} }, t.applied);
    expect(run(step.argv, step.stdin, t.home).status).toBe(0);
    expect(readdirSync(t.dest('nodes'))).toEqual(['kept.yaml']);
  });

  it('places nothing, runs nothing and removes its staging folder when a file does not arrive whole, and says which', () => {
    const t = setup();
    const files = [0, 1].map((i) => ({ dest: t.dest(`f${i}`), content: 'xxxx', mode: 0o644 }));
    const step = withStep(['touch', join(t.dir, 'ran')], { files, clear: [], marks: {}, records: { prepare: 'abc' } }, t.applied);
    const r = run(step.argv, step.stdin.slice(0, 6), t.home);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`herd: ${files[1]!.dest} arrived with 2 of its 4 bytes\n`);
    expect(existsSync(t.dest('f0'))).toBe(false);
    expect(existsSync(join(t.dir, 'ran'))).toBe(false);
    expect(existsSync(t.applied)).toBe(false);
    expect(readdirSync(t.home)).toEqual([]);
  });

  it('stops at a file it cannot place (its folder is a file), naming it, and removes its staging folder', () => {
    const t = setup();
    mkdirSync(t.dest(''), { recursive: true });
    writeFileSync(t.dest('blocker'), '');
    const step = withStep(['touch', join(t.dir, 'ran')], { files: [{ dest: t.dest('blocker/f'), content: 'x', mode: 0o644 }], clear: [], marks: {}, records: {} }, t.applied);
    const r = run(step.argv, step.stdin, t.home);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`install: cannot create directory '${t.dest('blocker')}': Not a directory\nherd: cannot place ${t.dest('blocker/f')}\n`);
    expect(existsSync(join(t.dir, 'ran'))).toBe(false);
    expect(readdirSync(t.home)).toEqual([]);
  });

  it('refuses a path or record with a line break, which would break the manifest', () => {
    expect(() => withStep([], { files: [], clear: [], marks: {}, records: { prepare: 'a\nfile x 1 644 /etc/passwd' } })).toThrow(/line break/);
  });

  it('tells the node log what a step does, not its wrapper', async () => {
    const commands: string[] = [];
    const session = {
      endpoint: { name: 'n1', host: '10.0.0.1', port: 22, user: 'herd' },
      roundTrips: { count: 0 },
      exec: async (command: string) => {
        commands.push(command);
        return { code: 0, stdout: '', stderr: '' };
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'herd-units-'));
    const reporter = new Reporter(new Redactor(), dir, { isTTY: false, write: () => undefined });
    const host = new RemoteHost({ name: 'n1', address: '10.0.0.1' }, session as unknown as SshSession, reporter, 30_000);
    await host.step('prepare-node.sh', { files: [{ dest: '/etc/herd/prepare-node.sh', content: 'x', mode: 0o755 }], argv: ['bash', '/etc/herd/prepare-node.sh'], records: { prepare: 'abc' } });
    expect(commands).toHaveLength(1);
    expect(readFileSync(reporter.logFile('n1'), 'utf8')).toBe('$ [node lock] [step] place 1 file (/etc/herd/prepare-node.sh); bash /etc/herd/prepare-node.sh; record prepare\n');
  });
});
