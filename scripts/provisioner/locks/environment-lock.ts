import { join } from 'node:path';
import type { Environment } from '../../../stacks/environment/load.ts';
import { ConfigError } from '../../../stacks/environment/errors.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { pgSchemaName } from '../../../stacks/state-location.ts';
import { acquireFileLock } from './file-lock.ts';
import { PG_CONN_STR, acquirePgLock } from './pg-lock.ts';
import { waitForLock, type HeldLock, type LockHeldError, type LockedOperation } from './holder.ts';

/** The lock of an environment whose state is not in PostgreSQL. */
export const lockFile = (env: string): string => join(environmentStateDir(env), 'apply.lock');

/** PG_CONN_STR, which an environment with its state in PostgreSQL needs before anything is done. */
export function pgConnStr(env: Environment): string {
  const connStr = process.env[PG_CONN_STR];
  if (connStr === undefined || connStr === '') {
    throw new ConfigError([{ file: env.file, path: 'state.type', message: `the pg backend reads its connection string from ${PG_CONN_STR}, which is not set; export it (postgres://user:password@host/database) where herd and cdktf run` }]);
  }
  return connStr;
}

export interface EnvironmentLockOptions {
  readonly operation: LockedOperation;
  /** How long to wait for another run to finish; 0 fails at once. */
  readonly timeoutSeconds: number;
  readonly warn: (message: string) => void;
  /** Told once, when the lock is first found held and the run starts waiting. */
  readonly onWait?: (held: LockHeldError) => void;
}

/**
 * herd's own lock on an environment, so that two runs (apply, reset, node
 * removals) never interleave on one cluster, with or without `cdktf deploy`
 * around them. It
 * lives where the state lives when herd can lock there (PostgreSQL), else in
 * .herd/<env>/apply.lock on this machine.
 */
export async function acquireEnvironmentLock(env: Environment, options: EnvironmentLockOptions): Promise<HeldLock> {
  const state = env.spec.state;
  const timeoutMs = options.timeoutSeconds * 1000;
  if (state.type === 'pg') {
    const connStr = pgConnStr(env);
    return waitForLock(() => acquirePgLock({ env: env.name, operation: options.operation, schema: pgSchemaName(env.name, state), connStr, onLost: options.warn }), timeoutMs, options.onWait);
  }
  if (state.type !== 'local') {
    // S3 and HTTP state services offer herd no lock of its own to hold for a whole run.
    options.warn(`with state.type ${state.type}, herd's lock is a file on this machine: it does not stop a herd run started on another machine (cdktf deploys are still serialized by Terraform's state lock)`);
  }
  const file = lockFile(env.name);
  return waitForLock(() => acquireFileLock(file, options.operation), timeoutMs, options.onWait);
}
