import { startTimeOf, statFields } from '../../system/processes.ts';
import type { HeldLock, LockedOperation } from './holder.ts';

/**
 * herd's lock on an environment, shared with the herd commands that the run
 * holding it starts itself. `herd roll` runs `terraform apply`, whose node
 * removal hook runs `herd node remove` and whose reconcile step runs `herd
 * apply`: each would wait for the lock the roll holds while the roll waits for
 * Terraform. The holder names itself in this variable, which its children
 * inherit; a command honours it only while that holder still runs and is the
 * command itself or one of its ancestors, so a stray copy of the variable (a
 * shell that exported it, a process of another run) shares nothing.
 */
export const SHARED_LOCK_VARIABLE = 'HERD_SHARED_LOCK';

export interface SharedLock {
  readonly env: string;
  readonly operation: LockedOperation;
  readonly pid: number;
  /** The holder's start time (/proc), so that a reused PID is not taken for it. */
  readonly start: string;
}

/**
 * While the caller holds the environment's lock: lets the herd commands it
 * starts from now on (and itself) run under it. Returns the undo, to call
 * before the lock is released.
 */
export function shareLockWithChildren(env: string, operation: LockedOperation): () => void {
  const start = startTimeOf(process.pid);
  if (start === undefined) throw new Error('cannot read this process start time from /proc: herd shares its lock only on Linux');
  const previous = process.env[SHARED_LOCK_VARIABLE];
  process.env[SHARED_LOCK_VARIABLE] = JSON.stringify({ env, operation, pid: process.pid, start } satisfies SharedLock);
  return () => {
    if (previous === undefined) delete process.env[SHARED_LOCK_VARIABLE];
    else process.env[SHARED_LOCK_VARIABLE] = previous;
  };
}

/** The run that shares its lock on `env` with this process, if the variable names one that may. */
export function lockSharedWithMe(env: string, value: string | undefined = process.env[SHARED_LOCK_VARIABLE]): SharedLock | undefined {
  if (value === undefined || value === '') return undefined;
  let shared: SharedLock;
  try {
    shared = JSON.parse(value) as SharedLock;
  } catch {
    return undefined;
  }
  if (shared.env !== env || !Number.isInteger(shared.pid) || startTimeOf(shared.pid) !== shared.start) return undefined;
  return ancestry(process.pid).includes(shared.pid) ? shared : undefined;
}

/** A lock held by the run that shares it: this command neither takes nor releases it. */
export const SHARED: HeldLock = { release: async () => undefined };

/** This process and its ancestors, nearest first (field 4 of /proc/PID/stat is the parent). */
function ancestry(pid: number): number[] {
  const chain: number[] = [];
  for (let current = pid; current > 1 && chain.length < 128; ) {
    chain.push(current);
    const parent = Number(statFields(current)?.[1]);
    if (!Number.isInteger(parent) || parent === current) break;
    current = parent;
  }
  return chain;
}
