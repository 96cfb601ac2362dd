import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError, acquireApplyLock } from '../../scripts/provisioner/apply-lock.ts';

const lockFile = (): string => join(mkdtempSync(join(tmpdir(), 'herd-lock-')), 'env', 'apply.lock');

describe('apply lock', () => {
  it('lets one run in and refuses the second, naming the holder', () => {
    const file = lockFile();
    const release = acquireApplyLock(file);
    expect(() => acquireApplyLock(file)).toThrow(LockHeldError);
    expect(() => acquireApplyLock(file)).toThrow(new RegExp(`another herd apply is running on this environment: .*@${hostname()} \\(pid ${process.pid}\\)`));
    release();
    expect(existsSync(file)).toBe(false);
    acquireApplyLock(file)();
  });

  it('takes over a lock whose run died on this machine', () => {
    const file = lockFile();
    acquireApplyLock(file)();
    writeFileSync(file, JSON.stringify({ user: 'ops', host: hostname(), pid: 2 ** 22 + 1, since: '2026-01-01T00:00:00Z' }));
    const release = acquireApplyLock(file);
    release();
  });

  it('does not take over a lock held from another machine', () => {
    const file = lockFile();
    acquireApplyLock(file)();
    writeFileSync(file, JSON.stringify({ user: 'ops', host: 'laptop-7', pid: 2 ** 22 + 1, since: '2026-01-01T00:00:00Z' }));
    expect(() => acquireApplyLock(file)).toThrow('ops@laptop-7 (pid 4194305) since 2026-01-01T00:00:00Z');
  });
});
