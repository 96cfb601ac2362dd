import { setTimeout as sleep } from 'node:timers/promises';
import { acquireApplyLock, LockHeldError } from './apply-lock.ts';

export interface WaitOptions {
  /** Give up (with the holder named) after this long. */
  readonly timeoutMs: number;
  /** Told once, when the lock is first found held. */
  readonly onWait: (error: LockHeldError) => void;
}

const POLL_MS = 500;

/**
 * The apply lock, waited for instead of refused. Terraform runs the destroy
 * hooks of a lowered count in parallel; taking this lock one after the other
 * removes one node at a time, so etcd loses one member at a time and every
 * removal sees the membership its predecessor left. It is the apply lock,
 * not a lock of its own, so that a removal never overlaps `herd apply` or
 * `herd reset` either.
 */
export async function waitForApplyLock(file: string, options: WaitOptions): Promise<() => void> {
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    try {
      return acquireApplyLock(file);
    } catch (err) {
      if (!(err instanceof LockHeldError) || Date.now() >= deadline) throw err;
      if (!told) options.onWait(err);
      told = true;
      await sleep(POLL_MS);
    }
  }
}
