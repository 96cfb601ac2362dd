import { hostname, userInfo } from 'node:os';
import { NothingChangedError } from '../refused.ts';

/** The herd commands that take an environment's lock, one at a time. */
export type LockedOperation = 'apply' | 'reset' | 'node remove';

/** Who holds an environment's lock: what a refused run prints, whichever lock refused it. */
export interface Holder {
  readonly operation: LockedOperation;
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  /** ISO time the holder took the lock, when the lock knows it. */
  readonly since?: string;
}

export function me(operation: LockedOperation): Holder {
  return { operation, user: userInfo().username, host: hostname(), pid: process.pid, since: new Date().toISOString() };
}

export function describeHolder(holder: Holder): string {
  return `herd ${holder.operation} by ${holder.user}@${holder.host} (pid ${holder.pid})${holder.since === undefined ? '' : ` since ${holder.since}`}`;
}

export class LockHeldError extends NothingChangedError {
  override name = 'LockHeldError';
  constructor(readonly holder: string, hint: string) {
    super(`another herd run holds this environment's lock: ${holder}. ${hint}`);
  }
}

/** A lock herd holds for the length of one apply; release is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

const POLL_MS = 500;

/**
 * Tries `attempt` until it succeeds or `timeoutMs` has passed, so that a run
 * can wait for another to finish (herd apply --lock-timeout). The last refusal
 * is what the operator sees: it names the holder at that moment.
 */
export async function waitForLock(attempt: () => Promise<HeldLock>, timeoutMs: number, onWait?: (held: LockHeldError) => void): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof LockHeldError) || Date.now() + POLL_MS > deadline) throw err;
      if (!told) onWait?.(err);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
