import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * The fields of /proc/PID/stat from field 3 (state) on, so field n is at
 * index n - 3; undefined if the process is gone.
 */
export function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined if gone or not Linux. */
export function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

export function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

/**
 * A process as another process can recognise it later: the PID alone is not
 * enough, since a crashed process's PID is reused; the start time tells the
 * two apart where /proc has it.
 */
export interface ProcessIdentity {
  readonly host: string;
  readonly pid: number;
  /** Clock ticks since boot at which it started (Linux); absent elsewhere. */
  readonly start?: string;
}

export function thisProcess(): ProcessIdentity {
  const start = startTimeOf(process.pid);
  return { host: hostname(), pid: process.pid, ...(start === undefined ? {} : { start }) };
}

/**
 * Whether the process still runs, as far as this machine can tell. A process
 * of another machine cannot be checked from here and counts as running.
 */
export function stillRuns(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return true;
  try {
    process.kill(identity.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(identity.pid)) return false;
  const start = startTimeOf(identity.pid);
  return identity.start === undefined || start === undefined || start === identity.start;
}
