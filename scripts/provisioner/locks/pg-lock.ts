import { createHash } from 'node:crypto';
import type pg from 'pg';
import { parse, toClientConfig } from 'pg-connection-string';
import { LockHeldError, describeHolder, me, type HeldLock, type LockedOperation } from './holder.ts';

// herd's lock (apply, reset, node removal) for environments whose state is in PostgreSQL: a session
// advisory lock in the same database as Terraform's state, held by one
// connection for the whole run. It goes when the session goes, so a run that
// dies (or a machine that vanishes) never leaves a stale lock behind.

/** Terraform's pg backend reads its connection string from here; herd reads the same variable and nothing else. */
export const PG_CONN_STR = 'PG_CONN_STR';

/**
 * The first key of herd's locks ("herd" in ASCII). herd uses the two-int4 form
 * of the advisory lock functions and Terraform the bigint form (its states.id),
 * and PostgreSQL keeps the two forms apart, so herd's lock never meets Terraform's.
 */
const HERD_LOCK_SPACE = 0x68657264;

/** The second key: the environment's state schema, so that the lock is shared exactly by those who share the state. */
export function pgLockKey(schema: string): number {
  return createHash('sha256').update(schema).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * Connection settings from a postgres:// URL as Terraform reads it: lib/pq
 * requires TLS when neither the URL nor PGSSLMODE says otherwise, and sslmode
 * keeps libpq's meaning. The URL's value is never put in a message: it holds a password.
 */
export function pgConnectionConfig(connStr: string, applicationName: string): pg.ClientConfig {
  let url: URL;
  try {
    url = new URL(connStr);
  } catch {
    throw new Error(`${PG_CONN_STR} is not a URL; it must be postgres://user:password@host:port/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`${PG_CONN_STR} must be a postgres:// URL, not ${url.protocol}//…`);
  }
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', process.env['PGSSLMODE'] ?? 'require');
  return { ...toClientConfig(parse(url.toString(), { useLibpqCompat: true })), application_name: applicationName, connectionTimeoutMillis: 10_000 };
}

/** The password in a connection string, for the redactor. */
export function pgConnectionSecrets(connStr: string): string[] {
  try {
    const password = decodeURIComponent(new URL(connStr).password);
    return password === '' ? [connStr] : [connStr, password];
  } catch {
    return [connStr];
  }
}

export interface PgLockOptions {
  readonly env: string;
  readonly operation: LockedOperation;
  readonly schema: string;
  readonly connStr: string;
  /** Called if the connection (and with it the lock) is lost while the run goes on. */
  readonly onLost: (message: string) => void;
}

/** A PostgreSQL client; pg is loaded only by runs whose state is in PostgreSQL. */
export async function pgClient(config: pg.ClientConfig): Promise<pg.Client> {
  const { default: driver } = await import('pg');
  return new driver.Client(config);
}

const APPLICATION = /^herd (?<operation>apply|reset|node remove|node replace|roll) \S+ (?<user>[^@\s]+)@(?<host>\S+) pid (?<pid>\d+)$/;

export async function acquirePgLock(options: PgLockOptions): Promise<HeldLock> {
  const self = me(options.operation);
  // PostgreSQL keeps 63 bytes of application_name; this one names the holder for a refused run.
  const client = await pgClient(pgConnectionConfig(options.connStr, `herd ${options.operation} ${options.env} ${self.user}@${self.host} pid ${self.pid}`.slice(0, 63)));
  let released = false;
  // pg reports a lost connection more than once; the operator hears of it once. A lost session has dropped its lock.
  client.on('error', (err) => {
    if (released) return;
    released = true;
    options.onLost(`lost the PostgreSQL session that holds herd's lock on ${options.env} (${err.message}); this run goes on, but another herd run could start now`);
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL (${PG_CONN_STR}) to take herd's lock on ${options.env}: ${(err as Error).message}`);
  }
  const key = pgLockKey(options.schema);
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked', [HERD_LOCK_SPACE, key]);
  if (rows[0]?.locked !== true) {
    try {
      throw new LockHeldError((await herdLockHolder(client, options.schema)) ?? 'a run that has just finished (try again)', 'Wait for it to finish (herd apply --lock-timeout <seconds> waits); the lock goes with that run’s PostgreSQL session.');
    } finally {
      released = true;
      await client.end();
    }
  }
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [HERD_LOCK_SPACE, key]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

interface Session {
  readonly application_name: string | null;
  readonly usename: string | null;
  readonly client: string | null;
  readonly backend_start: Date | null;
}

/** The session holding an advisory lock, from pg_locks and pg_stat_activity; undefined when none does. */
async function sessionHolding(client: pg.Client, where: string, values: readonly unknown[]): Promise<Session | undefined> {
  const { rows } = await client.query<Session>(
    `SELECT a.application_name, a.usename, host(a.client_addr) AS client, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND ${where}
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [...values],
  );
  return rows[0];
}

function describeSession(row: Session): string {
  const since = row.backend_start?.toISOString();
  return `PostgreSQL session "${row.application_name ?? ''}" of user ${row.usename ?? '?'}${row.client === null ? '' : ` from ${row.client}`}${since === undefined ? '' : ` since ${since}`}`;
}

/** Who holds herd's lock on the environment whose state is in `schema`; application_name carries who runs it. */
export async function herdLockHolder(client: pg.Client, schema: string): Promise<string | undefined> {
  const row = await sessionHolding(client, 'l.objsubid = 2 AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid', [HERD_LOCK_SPACE, pgLockKey(schema)]);
  if (row === undefined) return undefined;
  const since = row.backend_start?.toISOString();
  const named = APPLICATION.exec(row.application_name ?? '')?.groups;
  if (named !== undefined) {
    return describeHolder({ operation: named['operation'] as LockedOperation, user: named['user']!, host: named['host']!, pid: Number(named['pid']), ...(since === undefined ? {} : { since }) });
  }
  return describeSession(row);
}

/**
 * Who holds Terraform's lock on the state in `schema`: its pg backend locks
 * the state's row id (the bigint form: high half in classid, low half in
 * objid) and records nothing else, so the session is all there is to name;
 * PGAPPNAME gives it a name. Undefined when no state exists yet or nobody holds it.
 */
export async function terraformStateLockHolder(client: pg.Client, schema: string): Promise<string | undefined> {
  const table = `${client.escapeIdentifier(schema)}.states`;
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (rows[0]?.exists !== true) return undefined;
  const row = await sessionHolding(client, `l.objsubid = 1 AND (l.classid::int8 << 32 | l.objid::int8) = (SELECT id FROM ${table} WHERE name = 'default')`, []);
  return row === undefined ? undefined : describeSession(row);
}
