import { hostname, userInfo } from 'node:os';

/** Who runs a herd apply: what a refused run prints, whichever lock refused it. */
export interface Holder {
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  /** ISO time the holder took the lock, when the lock knows it. */
  readonly since?: string;
}

export function me(): Holder {
  return { user: userInfo().username, host: hostname(), pid: process.pid, since: new Date().toISOString() };
}

export function describeHolder(holder: Holder): string {
  return `${holder.user}@${holder.host} (pid ${holder.pid})${holder.since === undefined ? '' : ` since ${holder.since}`}`;
}

export class LockHeldError extends Error {
  constructor(readonly holder: string, hint: string) {
    super(`another herd apply is running on this environment: ${holder}. ${hint}`);
    this.name = 'LockHeldError';
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
export async function waitForLock(attempt: () => Promise<HeldLock>, timeoutMs: number): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof LockHeldError) || Date.now() + POLL_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
