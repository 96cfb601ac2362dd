import { userInfo } from 'node:os';
import { readLockFile, tryLockFile, newLockRecord, type LockRecord } from '../../system/lock-file.ts';
import { LockHeldError, describeHolder, type HeldLock, type Holder, type LockedOperation } from './holder.ts';

type HolderRecord = Holder & LockRecord;

/**
 * One herd run per environment at a time, on one machine (the `local` state
 * backend). A lock left by a run that died on this machine is taken over (by
 * exactly one of the runs that find it), one held from another machine is not.
 */
export async function acquireFileLock(file: string, operation: LockedOperation): Promise<HeldLock> {
  const record: HolderRecord = newLockRecord({ operation, user: userInfo().username, since: new Date().toISOString() });
  const attempt = await tryLockFile(file, record);
  if ('held' in attempt) {
    const { held } = attempt;
    return { release: async () => held.release() };
  }
  const holder = attempt.holder;
  if (holder === undefined) throw new LockHeldError(`an unreadable lock file ${file}`, `If no herd run is going on, remove ${file}.`);
  throw new LockHeldError(describeHolder(holder), `Wait for it to finish; if that run is gone, remove ${file}.`);
}

/** Who holds the lock file, as it names its holder; undefined when nobody does. */
export function fileLockHolder(file: string): Holder | undefined {
  return readLockFile<HolderRecord>(file);
}
