import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { hostname } from 'node:os';
import { startPostgres, type PostgresServer } from '../../scripts/lab/postgres.ts';
import { acquirePgLock, pgConnectionConfig, pgLockKey, type PgLockOptions } from '../../scripts/provisioner/locks/pg-lock.ts';
import { acquireEnvironmentLock } from '../../scripts/provisioner/locks/environment-lock.ts';
import { LockHeldError } from '../../scripts/provisioner/locks/holder.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';

// herd apply's PostgreSQL lock against a real server on loopback.

const PASSWORD = 'pg-lock-canary-93b1';
let server: PostgresServer;
const lost: string[] = [];
const options = (schema: string): PgLockOptions => ({ env: 'lab', operation: 'apply', schema, connStr: server.connStr, onLost: (m) => lost.push(m) });

beforeAll(async () => {
  server = await startPostgres({ address: '127.61.0.1', port: 55432, password: PASSWORD });
}, 60_000);
afterAll(() => server?.remove());

describe('herd apply lock in PostgreSQL', () => {
  it('lets one run in and refuses the second at once, naming the holder', async () => {
    const lock = await acquirePgLock(options('herd_lab'));
    const refused = acquirePgLock(options('herd_lab'));
    await expect(refused).rejects.toThrow(LockHeldError);
    await expect(acquirePgLock(options('herd_lab'))).rejects.toThrow(
      new RegExp(`another herd run holds this environment's lock: herd apply by \\S+@${hostname()} \\(pid ${process.pid}\\) since \\d{4}-\\d\\d-\\d\\dT`),
    );
    await lock.release();
    await (await acquirePgLock(options('herd_lab'))).release();
  });

  it('is one lock per state schema, and never Terraform’s bigint lock of the same number', async () => {
    const lab = await acquirePgLock(options('herd_lab'));
    const other = await acquirePgLock(options('herd_other'));
    await other.release();
    await lab.release();

    const terraformLike = new pg.Client({ connectionString: server.connStr });
    await terraformLike.connect();
    const sameNumber = (BigInt(0x68657264) << 32n) | BigInt(pgLockKey('herd_lab'));
    await terraformLike.query('SELECT pg_advisory_lock($1::int8)', [sameNumber.toString()]);
    await (await acquirePgLock(options('herd_lab'))).release();
    await terraformLike.end();
  });

  it('goes with its session: a run that dies leaves no stale lock, and a run that loses it is told', async () => {
    const lock = await acquirePgLock(options('herd_lab'));
    const admin = new pg.Client({ connectionString: server.connStr });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'herd apply lab %'");
    await admin.end();
    await expect.poll(() => lost.length).toBe(1);
    expect(lost[0]).toContain("lost the PostgreSQL session that holds herd's lock on lab");
    await (await acquirePgLock(options('herd_lab'))).release();
    await lock.release();
  });

  it('a server that cannot be reached is a clear error that does not show the password', async () => {
    const down = server.connStr.replace(':55432/', ':55439/');
    const error = await acquirePgLock({ ...options('herd_lab'), connStr: down }).then(
      () => new Error('the lock was taken'),
      (err: unknown) => err as Error,
    );
    expect(error.message).toMatch(/^cannot reach PostgreSQL \(PG_CONN_STR\) to take herd's lock on lab: connect ECONNREFUSED 127\.61\.0\.1:55439/);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('an environment with the pg backend needs PG_CONN_STR', async () => {
    const env = loadEnvironmentByName('lab');
    const pgEnv = { ...env, spec: { ...env.spec, state: { type: 'pg' as const } } };
    const saved = process.env['PG_CONN_STR'];
    delete process.env['PG_CONN_STR'];
    try {
      const error = await acquireEnvironmentLock(pgEnv, { operation: 'apply', timeoutSeconds: 0, warn: () => undefined }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('state.type: the pg backend reads its connection string from PG_CONN_STR, which is not set');
    } finally {
      if (saved !== undefined) process.env['PG_CONN_STR'] = saved;
    }
  });

  it('reads PG_CONN_STR as Terraform does: TLS required unless sslmode says otherwise', () => {
    expect(pgConnectionConfig('postgres://u:p@db.example.com/state', 'x').ssl).toEqual({ rejectUnauthorized: false });
    expect(pgConnectionConfig('postgres://u:p@db.example.com/state?sslmode=disable', 'x').ssl).toBe(false);
    expect(() => pgConnectionConfig('host=db.example.com password=secret', 'x')).toThrow('PG_CONN_STR is not a URL');
    expect(() => pgConnectionConfig('mysql://u:secret@db/x', 'x')).toThrow(/^PG_CONN_STR must be a postgres:\/\/ URL, not mysql:\/\/…$/);
  });
});
