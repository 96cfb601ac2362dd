import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { acquireEnvironmentLock } from '../../scripts/provisioner/locks/environment-lock.ts';
import { SHARED_LOCK_VARIABLE, shareLockWithChildren } from '../../scripts/provisioner/locks/shared-lock.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { environmentStateDir } from '../../stacks/project.ts';

// herd roll holds the environment's lock while Terraform runs the stack's
// hooks (herd node remove, herd apply), which take the same lock: the roll
// shares it with the processes it starts, and with no one else.

const ENV = 'shared-lock-test';
const CHILD = resolve(import.meta.dirname, 'fixtures/lock-child.ts');
const env = { ...loadEnvironmentByName('lab'), name: ENV };

/** The child, started through a shell as Terraform's local-exec starts a hook. */
function child(extraEnv: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync('/bin/sh', ['-c', `node --import tsx ${CHILD} ${ENV}`], { env: { ...process.env, ...extraEnv }, encoding: 'utf8' });
  return r.stdout.trim();
}

afterAll(() => rmSync(environmentStateDir(ENV), { recursive: true, force: true }));

describe("a roll's lock, shared with what it starts", () => {
  it('a descendant runs under it; without sharing it is refused, naming the holder', async () => {
    const lock = await acquireEnvironmentLock(env, { operation: 'roll', timeoutSeconds: 0, warn: () => undefined });
    try {
      expect(child()).toMatch(/^refused: another herd run holds this environment's lock: herd roll by \S+ \(pid \d+\)/);
      const unshare = shareLockWithChildren(ENV, 'roll');
      try {
        expect(child()).toBe(`shared by roll ${process.pid}\nheld`);
      } finally {
        unshare();
      }
      expect(process.env[SHARED_LOCK_VARIABLE]).toBeUndefined();
      expect(child()).toMatch(/^refused: /);
    } finally {
      await lock.release();
    }
  });

  it('a copy of the variable in a process that the holder did not start shares nothing', async () => {
    const lock = await acquireEnvironmentLock(env, { operation: 'roll', timeoutSeconds: 0, warn: () => undefined });
    const sibling = spawn('sleep', ['30']);
    try {
      const unshare = shareLockWithChildren(ENV, 'roll');
      const value = process.env[SHARED_LOCK_VARIABLE]!;
      unshare();
      const mine = JSON.parse(value) as { pid: number; start: string };
      // Naming a process that runs but is no ancestor of the child (a sibling), or one that is gone.
      const start = spawnSync('sh', ['-c', `cut -d' ' -f22 /proc/${sibling.pid}/stat`], { encoding: 'utf8' }).stdout.trim();
      expect(child({ [SHARED_LOCK_VARIABLE]: JSON.stringify({ ...mine, pid: sibling.pid, start }) })).toMatch(/^refused: /);
      expect(child({ [SHARED_LOCK_VARIABLE]: JSON.stringify({ ...mine, start: 'another start' }) })).toMatch(/^refused: /);
      expect(child({ [SHARED_LOCK_VARIABLE]: JSON.stringify({ ...mine, env: 'another-env' }) })).toMatch(/^refused: /);
      expect(child({ [SHARED_LOCK_VARIABLE]: 'not json' })).toMatch(/^refused: /);
      expect(child({ [SHARED_LOCK_VARIABLE]: value })).toBe(`shared by roll ${process.pid}\nheld`);
    } finally {
      sibling.kill();
      await lock.release();
    }
  });
});
