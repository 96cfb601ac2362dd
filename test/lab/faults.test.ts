import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { probeSsh } from '../../scripts/lab/probe.ts';
import { connect, exec, tempStateDir } from './helpers.ts';

// Addresses 127.20.2.x, this file's own range.
const HOSTS = [
  { name: 'fault-1', address: '127.20.2.11' },
  { name: 'fault-2', address: '127.20.2.12' },
  { name: 'fault-3', address: '127.20.2.13' },
];

describe('lab faults', () => {
  const stateDir = tempStateDir('faults');
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ stateDir, hosts: HOSTS });
  });
  afterAll(() => stopLab(stateDir));

  it('refuses connections, then answers again once cleared', async () => {
    await lab.setFault('fault-1', { kind: 'refuseConnections' });
    expect(await probeSsh('127.20.2.11')).toBe('refused');
    await expect(connect(lab, 'fault-1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await lab.status()).find((h) => h.name === 'fault-1')).toMatchObject({ running: true, ssh: 'refused' });
    await lab.clearFaults('fault-1');
    const client = await connect(lab, 'fault-1');
    expect((await exec(client, 'hostname')).stdout).toBe('fault-1\n');
    client.end();
  });

  it('accepts TCP and never answers', async () => {
    await lab.setFault('fault-2', { kind: 'silent' });
    expect(await probeSsh('127.20.2.12', 22, 300)).toBe('silent');
    await expect(connect(lab, 'fault-2', { readyTimeout: 500 })).rejects.toThrow(/Timed out while waiting for handshake/);
    await lab.clearFaults('fault-2');
    expect(await probeSsh('127.20.2.12')).toBe('answering');
  });

  it('changes its host key, keeping what the host had', async () => {
    const before = await connect(lab, 'fault-3');
    await exec(before, 'echo kept > /tmp/marker');
    before.end();
    const oldKey = lab.hostKey('fault-3');
    await lab.setFault('fault-3', { kind: 'hostKeyChange' });
    const after = await connect(lab, 'fault-3');
    expect(after.hostKey!.toString('base64')).not.toBe(before.hostKey!.toString('base64'));
    expect(lab.hostKey('fault-3')).not.toBe(oldKey);
    expect(lab.hostKey('fault-3')).toContain(after.hostKey!.toString('base64'));
    expect((await exec(after, 'cat /tmp/marker')).stdout).toBe('kept\n');
    after.end();
  });

  it('makes a named command hang, journalled with no exit code, until the caller gives up', async () => {
    await lab.setFault('fault-1', { kind: 'hang', command: 'kubeadm join' });
    const client = await connect(lab, 'fault-1');
    const other = await exec(client, 'sudo systemctl is-active ssh');
    expect(other).toMatchObject({ code: 0, stdout: 'active\n' });
    // kubeadm is not installed yet: call the simulator directly, as /usr/bin/kubeadm would.
    const hung = await exec(client, 'node /usr/local/lib/herd-lab/lab/simulators/kubeadm.mjs join 127.20.2.11:6443 --token abcdef.0123456789abcdef', { timeoutMs: 1_500 });
    expect(hung.code).toBeNull();
    const entry = lab.journal('fault-1').find((e) => e.command === 'kubeadm');
    expect(entry).toMatchObject({ exit: null, fault: 'hang', argv: ['join', '127.20.2.11:6443', '--token', '<redacted>'] });
    client.end();
    await lab.clearFaults('fault-1');
  });

  it('fails a named subcommand with the given exit code, a given number of times', async () => {
    await lab.setFault('fault-2', { kind: 'fail', command: 'systemctl restart containerd', exitCode: 5, stderr: 'Job for containerd.service failed.', times: 1 });
    const client = await connect(lab, 'fault-2');
    expect(await exec(client, 'sudo systemctl restart containerd')).toMatchObject({ code: 5, stderr: 'Job for containerd.service failed.\n' });
    // Only the named subcommand, and only once.
    expect((await exec(client, 'sudo systemctl restart containerd')).stderr).toBe('Failed to restart containerd.service: Unit containerd.service not found.\n');
    expect((await exec(client, 'systemctl is-active ssh')).code).toBe(0);
    const journal = lab.journal('fault-2').filter((e) => e.command === 'systemctl');
    expect(journal.map((e) => [e.argv.join(' '), e.exit, e.fault])).toEqual([
      ['restart containerd', 5, 'fail'],
      ['restart containerd', 5, undefined],
      ['is-active ssh', 0, undefined],
    ]);
    client.end();
  });

  it('fails with a default message when none is given, and rejects malformed faults', async () => {
    await lab.setFault('fault-3', { kind: 'fail', command: 'curl', exitCode: 7 });
    const client = await connect(lab, 'fault-3');
    expect(await exec(client, 'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key')).toMatchObject({ code: 7, stderr: 'curl: failed (injected by the herd lab)\n' });
    client.end();
    await expect(lab.setFault('fault-3', { kind: 'fail', command: 'kubeadm join', exitCode: 0 })).rejects.toThrow('fault exitCode must be an integer from 1 to 255, got 0');
    await expect(lab.setFault('fault-3', { kind: 'hang', command: 'Kubeadm' })).rejects.toThrow('fault command "Kubeadm" must be a command name optionally followed by argument words, e.g. "kubeadm join"');
    await expect(lab.setFault('fault-3', { kind: 'hang', command: 'kubeadm', times: 0 })).rejects.toThrow('fault times must be a positive integer, got 0');
    await lab.clearFaults('fault-3');
  });
});
