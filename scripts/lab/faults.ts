import { readFileSync, renameSync } from 'node:fs';
import type { LabPaths } from './paths.ts';
import { waitForSsh } from './probe.ts';
import { hostControl, NODE_PATH, writeWorldWritable } from './sandbox.ts';

/**
 * Faults a test can put on a lab host.
 *
 * Connection faults change what answers on the host's port 22:
 * - refuseConnections: sshd stops; connecting fails with ECONNREFUSED.
 * - silent: a listener accepts TCP and never sends a byte (no SSH banner).
 * - hostKeyChange: one-shot; the host gets a new host key and sshd reloads,
 *   like a VM rebuilt at the same address.
 *
 * Command faults apply to simulated commands only (kubeadm, kubectl,
 * kubelet, systemctl, modprobe, sysctl, swapoff, apt-get, apt-mark,
 * dpkg-query, curl). `command` is the command name followed by words that must
 * appear among its arguments, in order: "kubeadm join", "kubectl apply",
 * "systemctl restart containerd". `times` limits how many calls it hits
 * (default: every call until cleared).
 * - hang: the call never returns (until killed, e.g. by an SSH command timeout).
 * - slow: the call waits `ms` milliseconds, then does what it would have done.
 * - fail: the call prints `stderr` (or a default message) and exits with exitCode.
 */
export type Fault =
  | { readonly kind: 'refuseConnections' }
  | { readonly kind: 'silent' }
  | { readonly kind: 'hostKeyChange' }
  | { readonly kind: 'hang'; readonly command: string; readonly times?: number }
  | { readonly kind: 'slow'; readonly command: string; readonly ms: number; readonly times?: number }
  | { readonly kind: 'fail'; readonly command: string; readonly exitCode: number; readonly stderr?: string; readonly times?: number };

/** faults.json in a host's io directory; the simulators read `commands` and count `remaining` down. */
export interface FaultsFile {
  connection: 'refuseConnections' | 'silent' | null;
  commands: Array<{ kind: 'hang' | 'fail' | 'slow'; command: string; exitCode?: number; stderr?: string; ms?: number; remaining: number | null }>;
}

export function readFaults(paths: LabPaths, host: string): FaultsFile {
  return JSON.parse(readFileSync(paths.faultsFile(host), 'utf8')) as FaultsFile;
}

function writeFaults(paths: LabPaths, host: string, faults: FaultsFile): void {
  const file = paths.faultsFile(host);
  // Simulators running as the login user count `remaining` down too.
  writeWorldWritable(`${file}.tmp`, `${JSON.stringify(faults, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function checkCommandFault(fault: { command: string; times?: number; exitCode?: number }): void {
  if (!/^[a-z][a-z-]*( \S+)*$/.test(fault.command)) {
    throw new Error(`fault command "${fault.command}" must be a command name optionally followed by argument words, e.g. "kubeadm join"`);
  }
  if (fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
    throw new Error(`fault times must be a positive integer, got ${fault.times}`);
  }
  if (fault.exitCode !== undefined && (!Number.isInteger(fault.exitCode) || fault.exitCode < 1 || fault.exitCode > 255)) {
    throw new Error(`fault exitCode must be an integer from 1 to 255, got ${fault.exitCode}`);
  }
}

export interface FaultTarget {
  readonly name: string;
  readonly address: string;
  readonly initPid: number;
  /** Where its sshd is seen from: the lab's isolated network, for a host there. */
  readonly netns?: string;
}

export async function applyFault(paths: LabPaths, host: FaultTarget, fault: Fault): Promise<void> {
  const faults = readFaults(paths, host.name);
  switch (fault.kind) {
    case 'refuseConnections':
      await hostControl(host.initPid, 'silent-stop');
      await hostControl(host.initPid, 'sshd-stop');
      faults.connection = 'refuseConnections';
      break;
    case 'silent':
      await hostControl(host.initPid, 'sshd-stop');
      await hostControl(host.initPid, 'silent-start', host.address, NODE_PATH);
      faults.connection = 'silent';
      break;
    case 'hostKeyChange':
      await hostControl(host.initPid, 'rekey');
      if (faults.connection === null) await waitForSsh(host.address, 10_000, 22, host.netns);
      return;
    case 'hang':
      checkCommandFault(fault);
      faults.commands.push({ kind: 'hang', command: fault.command, remaining: fault.times ?? null });
      break;
    case 'slow':
      checkCommandFault(fault);
      if (!Number.isInteger(fault.ms) || fault.ms < 1) throw new Error(`fault ms must be a positive integer, got ${fault.ms}`);
      faults.commands.push({ kind: 'slow', command: fault.command, ms: fault.ms, remaining: fault.times ?? null });
      break;
    case 'fail':
      checkCommandFault(fault);
      faults.commands.push({
        kind: 'fail',
        command: fault.command,
        exitCode: fault.exitCode,
        ...(fault.stderr === undefined ? {} : { stderr: fault.stderr }),
        remaining: fault.times ?? null,
      });
      break;
  }
  writeFaults(paths, host.name, faults);
}

/** Back to normal: sshd answers again, no command fault is left. */
export async function clearFaults(paths: LabPaths, host: FaultTarget): Promise<void> {
  await hostControl(host.initPid, 'silent-stop');
  await hostControl(host.initPid, 'sshd-start');
  writeFaults(paths, host.name, { connection: null, commands: [] });
  await waitForSsh(host.address, 10_000, 22, host.netns);
}
