import { createHash } from 'node:crypto';
import pg from 'pg';
import { parse, toClientConfig } from 'pg-connection-string';
import { LockHeldError, describeHolder, me, type HeldLock, type LockedOperation } from './holder.ts';

// herd apply's lock for environments whose state is in PostgreSQL: a session
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

const APPLICATION = /^herd (?<operation>apply|reset|node remove) \S+ (?<user>[^@\s]+)@(?<host>\S+) pid (?<pid>\d+)$/;

export async function acquirePgLock(options: PgLockOptions): Promise<HeldLock> {
  const self = me(options.operation);
  // PostgreSQL keeps 63 bytes of application_name; this one names the holder for a refused run.
  const client = new pg.Client(pgConnectionConfig(options.connStr, `herd ${options.operation} ${options.env} ${self.user}@${self.host} pid ${self.pid}`.slice(0, 63)));
  let released = false;
  // pg reports a lost connection more than once; the operator hears of it once. A lost session has dropped its lock.
  client.on('error', (err) => {
    if (released) return;
    released = true;
    options.onLost(`lost the PostgreSQL session that holds herd apply's lock on ${options.env} (${err.message}); this run goes on, but another herd apply could start now`);
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL (${PG_CONN_STR}) to take herd apply's lock on ${options.env}: ${(err as Error).message}`);
  }
  const key = pgLockKey(options.schema);
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked', [HERD_LOCK_SPACE, key]);
  if (rows[0]?.locked !== true) {
    try {
      throw new LockHeldError(await holderOf(client, key), 'Wait for it to finish (herd apply --lock-timeout <seconds> waits); the lock goes with that run’s PostgreSQL session.');
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

/** The session holding herd's lock, from pg_locks and pg_stat_activity; application_name carries who runs it. */
async function holderOf(client: pg.Client, key: number): Promise<string> {
  const { rows } = await client.query<{ application_name: string | null; usename: string | null; backend_start: Date | null }>(
    `SELECT a.application_name, a.usename, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [HERD_LOCK_SPACE, key],
  );
  const row = rows[0];
  if (row === undefined) return 'a run that has just finished (try again)';
  const since = row.backend_start?.toISOString();
  const named = APPLICATION.exec(row.application_name ?? '')?.groups;
  if (named !== undefined) return describeHolder({ operation: named['operation'] as LockedOperation, user: named['user']!, host: named['host']!, pid: Number(named['pid']), ...(since === undefined ? {} : { since }) });
  return `PostgreSQL session "${row.application_name ?? ''}" of user ${row.usename ?? '?'}${since === undefined ? '' : ` since ${since}`}`;
}
