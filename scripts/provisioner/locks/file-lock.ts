import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LockHeldError, describeHolder, me, type HeldLock, type Holder, type LockedOperation } from './holder.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One herd run per environment at a time, on one machine (the `local` state
 * backend). The lock file is created atomically with its content, so two runs
 * cannot both win; a lock left by a run that died on this machine is taken
 * over, one held from another machine is not.
 */
export function acquireFileLock(file: string, operation: LockedOperation): HeldLock {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const holder = me(operation);
  // The holder is written to a file of our own, then linked into place: link(2) fails if the
  // lock exists, and a lock that exists always names its holder in full.
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, JSON.stringify(holder), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        return { release: async () => rmSync(file, { force: true }) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const other = fileLockHolder(file);
        if (other !== undefined && (other.host !== holder.host || alive(other.pid))) {
          throw new LockHeldError(describeHolder(other), `Wait for it to finish; if that run is gone, remove ${file}.`);
        }
        rmSync(file, { force: true });
      }
    }
    throw new Error(`cannot take the lock ${file}`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Who holds the lock file, as it names its holder; undefined when nobody does. */
export function fileLockHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}
