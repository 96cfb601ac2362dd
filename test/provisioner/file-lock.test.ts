import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireFileLock } from '../../scripts/provisioner/locks/file-lock.ts';
import { LockHeldError, waitForLock } from '../../scripts/provisioner/locks/holder.ts';

const lockFile = (): string => join(mkdtempSync(join(tmpdir(), 'herd-lock-')), 'env', 'apply.lock');

describe('apply lock file (local state)', () => {
  it('lets one run in and refuses the second, naming the holder', async () => {
    const file = lockFile();
    const lock = acquireFileLock(file, 'apply');
    expect(() => acquireFileLock(file, 'apply')).toThrow(LockHeldError);
    expect(() => acquireFileLock(file, 'apply')).toThrow(new RegExp(`another herd run holds this environment's lock: herd apply by .*@${hostname()} \\(pid ${process.pid}\\)`));
    await lock.release();
    expect(existsSync(file)).toBe(false);
    await acquireFileLock(file, 'apply').release();
  });

  it('takes over a lock whose run died on this machine', async () => {
    const file = lockFile();
    await acquireFileLock(file, 'apply').release();
    writeFileSync(file, JSON.stringify({ user: 'ops', host: hostname(), pid: 2 ** 22 + 1, since: '2026-01-01T00:00:00Z' }));
    await acquireFileLock(file, 'apply').release();
  });

  it('does not take over a lock held from another machine', async () => {
    const file = lockFile();
    await acquireFileLock(file, 'apply').release();
    writeFileSync(file, JSON.stringify({ user: 'ops', host: 'laptop-7', pid: 2 ** 22 + 1, since: '2026-01-01T00:00:00Z' }));
    expect(() => acquireFileLock(file, 'apply')).toThrow('ops@laptop-7 (pid 4194305) since 2026-01-01T00:00:00Z');
  });

  it('with a lock timeout, waits for the holder to finish', async () => {
    const file = lockFile();
    const first = acquireFileLock(file, 'apply');
    setTimeout(() => void first.release(), 700);
    const started = Date.now();
    await (await waitForLock(async () => acquireFileLock(file, 'apply'), 5_000)).release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    const held = acquireFileLock(file, 'apply');
    await expect(waitForLock(async () => acquireFileLock(file, 'apply'), 600)).rejects.toThrow(LockHeldError);
    await held.release();
  });
});
