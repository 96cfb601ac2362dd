import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

// A throwaway PostgreSQL server on a loopback address, for the tests of the
// pg state backend: its own data directory, password authentication (so that a
// real secret travels in PG_CONN_STR), stopped and started at will so that a
// test can take the database away in the middle of a deploy.

export interface PostgresOptions {
  /** A loopback address of its own, e.g. 127.60.0.1: every 127/8 address reaches lo without an alias. */
  readonly address: string;
  readonly port: number;
  readonly password: string;
}

export interface PostgresServer {
  /** postgres:// URL of the database `herd_state` as user `herd`, TLS off (loopback). */
  readonly connStr: string;
  start(): void;
  stop(): void;
  /** Stops the server and removes its data directory. */
  remove(): void;
}

const USER = 'herd';
const DATABASE = 'herd_state';

/** initdb and pg_ctl: on PATH, or where Debian's postgresql package puts them (not on PATH there). */
function postgresBin(tool: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, tool))) return join(dir, tool);
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    if (existsSync(join(base, v, 'bin', tool))) return join(base, v, 'bin', tool);
  }
  throw new Error(`${tool} not found on PATH or under ${base}/*/bin; install Debian's postgresql package`);
}

/** PostgreSQL refuses to run as root: as root, its tools run as the postgres user that Debian's package creates. */
function runAsServerUser(tool: string, args: readonly string[]): void {
  const argv = userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', postgresBin(tool), ...args]] as const : [postgresBin(tool), args] as const;
  execFileSync(argv[0], [...argv[1]], { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() });
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-pg-'));
  const dataDir = join(dir, 'data');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, options.password, { mode: 0o600 });
  if (userInfo().uid === 0) {
    const { uid, gid } = serverUser();
    chownSync(dir, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  const serverLog = join(dir, 'server.log');
  const serverOptions = `-c listen_addresses=${options.address} -p ${options.port} -c unix_socket_directories=${dir} -c fsync=off`;
  const start = (): void => {
    try {
      runAsServerUser('pg_ctl', ['start', '-w', '-D', dataDir, '-l', serverLog, '-o', serverOptions]);
    } catch (err) {
      const log = existsSync(serverLog) ? readFileSync(serverLog, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
      throw new Error(`PostgreSQL did not start on ${options.address}:${options.port}: ${log || (err as Error).message}`);
    }
  };
  const stop = (): void => runAsServerUser('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', dataDir]);
  try {
    runAsServerUser('initdb', ['-D', dataDir, '-U', USER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--no-sync', '--no-instructions']);
    rmSync(passwordFile);
    start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const url = (database: string): string => `postgres://${USER}:${encodeURIComponent(options.password)}@${options.address}:${options.port}/${database}?sslmode=disable`;
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  let running = true;
  return {
    connStr: url(DATABASE),
    start() {
      if (!running) start();
      running = true;
    },
    stop() {
      if (running) stop();
      running = false;
    },
    remove() {
      if (running) stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function serverUser(): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
