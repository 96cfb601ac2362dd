import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { acquireFileLock } from '../../scripts/provisioner/locks/file-lock.ts';
import { LockHeldError, waitForLock } from '../../scripts/provisioner/locks/holder.ts';
import { supersedeMarker } from '../../scripts/system/lock-file.ts';

const lockFile = (): string => join(mkdtempSync(join(tmpdir(), 'herd-lock-')), 'env', 'apply.lock');
/** A PID that certainly ran on this machine and is gone now. */
const deadPid = (): number => spawnSync('true').pid!;
const staleRecord = (pid = deadPid()): string => JSON.stringify({ operation: 'apply', user: 'ops', host: hostname(), pid, since: '2026-01-01T00:00:00Z' });

describe('apply lock file (local state)', () => {
  it('lets one run in and refuses the second, naming the holder', async () => {
    const file = lockFile();
    const lock = await acquireFileLock(file, 'apply');
    await expect(acquireFileLock(file, 'apply')).rejects.toThrow(LockHeldError);
    await expect(acquireFileLock(file, 'apply')).rejects.toThrow(new RegExp(`another herd run holds this environment's lock: herd apply by .*@${hostname()} \\(pid ${process.pid}\\)`));
    await lock.release();
    expect(existsSync(file)).toBe(false);
    await (await acquireFileLock(file, 'apply')).release();
  });

  it('takes over a lock whose run died on this machine', async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    writeFileSync(file, staleRecord());
    await (await acquireFileLock(file, 'apply')).release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock whose PID now belongs to another process', async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    // Our own PID, but a start time that is not ours: the run that wrote it is gone and its PID reused.
    writeFileSync(file, JSON.stringify({ operation: 'apply', user: 'ops', host: hostname(), pid: process.pid, start: '1', since: '2026-01-01T00:00:00Z', token: 'x' }));
    await (await acquireFileLock(file, 'apply')).release();
  });

  it('takes over a lock whose taker died in the middle of taking it over', async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    const stale = staleRecord();
    writeFileSync(file, stale);
    writeFileSync(supersedeMarker(file, stale), staleRecord());
    await (await acquireFileLock(file, 'apply')).release();
  });

  it('does not take over a lock held from another machine', async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    writeFileSync(file, JSON.stringify({ operation: 'apply', user: 'ops', host: 'laptop-7', pid: 2 ** 22 + 1, since: '2026-01-01T00:00:00Z' }));
    await expect(acquireFileLock(file, 'apply')).rejects.toThrow('ops@laptop-7 (pid 4194305) since 2026-01-01T00:00:00Z');
  });

  it('refuses a lock file it cannot read, and says what to do', async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    writeFileSync(file, 'not a lock record');
    await expect(acquireFileLock(file, 'apply')).rejects.toThrow(`holds this environment's lock: an unreadable lock file ${file}. If no herd run is going on, remove ${file}.`);
  });

  it('with a lock timeout, waits for the holder to finish', async () => {
    const file = lockFile();
    const first = await acquireFileLock(file, 'apply');
    setTimeout(() => void first.release(), 700);
    const started = Date.now();
    await (await waitForLock(() => acquireFileLock(file, 'apply'), 5_000)).release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    const held = await acquireFileLock(file, 'apply');
    await expect(waitForLock(() => acquireFileLock(file, 'apply'), 600)).rejects.toThrow(LockHeldError);
    await held.release();
  });
});

describe('a stale lock found by many runs at once', () => {
  const TAKERS = 24;
  const ROUNDS = 50;
  const takers: ChildProcess[] = [];

  const reply = (child: ChildProcess): Promise<{ won?: boolean; message?: string }> => once(child, 'message').then(([m]) => m as { won?: boolean; message?: string });

  beforeAll(async () => {
    for (let i = 0; i < TAKERS; i++) takers.push(fork(resolve(import.meta.dirname, 'fixtures/lock-taker.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
    await Promise.all(takers.map(reply));
  });
  afterAll(() => {
    for (const child of takers) child.kill();
  });

  it(`is taken over by exactly one of ${TAKERS} runs, in each of ${ROUNDS} rounds`, async () => {
    const file = lockFile();
    await (await acquireFileLock(file, 'apply')).release();
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const stale = staleRecord();
      writeFileSync(file, stale);
      // Every other round, a taker of an earlier crash also died holding the right to supersede it.
      if (round % 2 === 1) writeFileSync(supersedeMarker(file, stale), staleRecord());
      const at = Date.now() + 50;
      const replies = takers.map(reply);
      for (const child of takers) child.send({ take: file, at });
      const results = await Promise.all(replies);
      const won = results.flatMap((r, i) => (r.won === true ? [i] : []));
      winners.push(won.length);
      for (const r of results) if (r.won !== true) expect(r.message).toMatch(/another herd run holds this environment's lock: herd node remove by .* \(pid \d+\)/);
      await Promise.all(won.map(async (i) => {
        const released = reply(takers[i]!);
        takers[i]!.send({ release: true });
        await released;
      }));
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
    expect(readdirSync(join(file, '..')).filter((f) => !f.includes('.supersedes-'))).toEqual([]);
  }, 120_000);
});
