import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';

interface Holder {
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  readonly since: string;
}

export class LockHeldError extends Error {
  constructor(readonly file: string, readonly holder: Holder) {
    super(
      `another herd apply is running on this environment: ${holder.user}@${holder.host} (pid ${holder.pid}) since ${holder.since}. ` +
        `Wait for it to finish; if that run is gone, remove ${file}.`,
    );
    this.name = 'LockHeldError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One provisioner per environment at a time. The lock file is created
 * atomically with its content, so two runs cannot both win; a lock left by a
 * run that died on this machine is taken over, one held from another machine
 * is not.
 */
export function acquireApplyLock(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const me: Holder = { user: userInfo().username, host: hostname(), pid: process.pid, since: new Date().toISOString() };
  // The holder is written to a file of our own, then linked into place: link(2) fails if the
  // lock exists, and a lock that exists always names its holder in full.
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, JSON.stringify(me), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readHolder(file);
        if (holder !== undefined && (holder.host !== me.host || alive(holder.pid))) throw new LockHeldError(file, holder);
        rmSync(file, { force: true });
      }
    }
    throw new Error(`cannot take the lock ${file}`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}
