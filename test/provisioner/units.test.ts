import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redactor } from '../../scripts/provisioner/redact.ts';
import { parseFacts } from '../../scripts/provisioner/facts.ts';
import { hostProblems } from '../../scripts/provisioner/host-checks.ts';
import { Reporter } from '../../scripts/provisioner/report.ts';
import { RemoteHost } from '../../scripts/provisioner/remote-host.ts';
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

  it('probe.sh passes shellcheck', () => {
    const r = spawnSync('shellcheck', [resolve(import.meta.dirname, '../../scripts/provisioner/probe.sh')], { encoding: 'utf8' });
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

describe('placing files on a node', () => {
  it('removes its staging folder when an upload fails half-way (a full disk), and says which file', async () => {
    const commands: string[] = [];
    const session = {
      endpoint: { name: 'n1', host: '10.0.0.1', port: 22, user: 'herd' },
      exec: async (command: string) => {
        commands.push(command);
        return { code: 0, stdout: '', stderr: '' };
      },
      writeFile: async (path: string) => {
        if (path.endsWith('/1')) throw new Error(`n1: cannot write ${path}: Failure`);
      },
    };
    const reporter = new Reporter(new Redactor(), mkdtempSync(join(tmpdir(), 'herd-units-')), { isTTY: false, write: () => undefined });
    const host = new RemoteHost({ name: 'n1', address: '10.0.0.1' }, session as unknown as SshSession, reporter, 30_000);
    const files = [0, 1, 2].map((i) => ({ dest: `/etc/herd/f${i}`, content: 'x', mode: 0o644 }));
    await expect(host.putFiles('prepare', files)).rejects.toThrow(/^n1: prepare failed with exit code 1; last output:\nn1: cannot write \.herd-stage-\d+\/1: Failure$/);
    expect(commands).toEqual([`rm -rf .herd-stage-${process.pid} && mkdir -m 700 .herd-stage-${process.pid}`, `rm -rf .herd-stage-${process.pid}`]);
  });
});
