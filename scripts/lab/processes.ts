import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isZombie, startTimeOf } from '../system/processes.ts';

/**
 * A lab host's processes as the machine sees them: `unshare` (pid) and the
 * host's init (initPid, PID 1 inside). The start time tells our process from
 * an unrelated one that reused the PID after a crash.
 */
export interface HostProcess {
  readonly pid: number;
  readonly initPid: number;
  readonly startTime: string;
}

/** Whether our process still runs: same PID, same start time, and not a zombie waiting to be reaped. */
export function isRunning(proc: HostProcess): boolean {
  return startTimeOf(proc.pid) === proc.startTime && !isZombie(proc.pid);
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * Sandbox processes of hosts under hostsDir, found by their command line: the
 * ones a crashed `herd lab up` started but never recorded.
 */
export function findSandboxProcesses(hostsDir: string): number[] {
  const prefix = `${hostsDir}/`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const argv = argvOf(pid);
      return argv.some((a) => a.endsWith('/sandbox/enter.sh')) && argv.some((a) => a.startsWith(prefix));
    });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Kills processes by PID and waits until they are gone. Killing a host's
 * `unshare` kills its init (--kill-child), and the end of the init ends every
 * process in the host's PID namespace and every mount in its mount namespace.
 */
export async function killAndWait(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const alive = (pid: number): boolean => startTimeOf(pid) !== undefined && !isZombie(pid);
  for (const pid of pids) signal(pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`processes did not exit within ${timeoutMs} ms: ${pids.filter(alive).join(', ')}`);
    await sleep(10);
  }
}
