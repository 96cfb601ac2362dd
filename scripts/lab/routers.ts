import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { attach, attachmentOf, checkFabricAddress, detach, type Attachment, type FabricSpec } from './fabric.ts';
import { isolatedNetworkOf } from './network.ts';
import type { LabPaths } from './paths.ts';
import { startTimeOf } from '../system/processes.ts';
import { killAndWait } from './processes.ts';

/**
 * The lab's routers: one real FRR (Debian's `frr`) per external BGP peer of
 * an environment (top-of-rack routers, the F5), each in a network namespace
 * of its own on the lab's fabric, at the peer's address. zebra runs beside
 * bgpd, so that the routes bgpd learns land in the namespace's kernel and
 * packets follow them. A router is loaded with exactly the configuration
 * `herd peers` rendered for it, the way that file's header tells an
 * operator: `envsubst < frr.conf | vtysh -f /dev/stdin`, the password in the
 * environment of envsubst only, never in a file or on a command line.
 *
 * A router keeps the rendered file as received (variables unfilled) and
 * router.json in <stateDir>/routers/<name>/, and FRR's run directory (owned
 * by frr: pid files, vty sockets, the zebra API socket, logs) in
 * /run/<isolated network's name>/routers/<name>/, where the frr user can
 * reach it whatever the state directory's mode.
 */
export interface RouterSpec {
  readonly name: string;
  readonly address: string;
  /** The file `herd peers` renders for this peer. */
  readonly config: string;
  /** Values of the variables the file names (`${VAR}`), as the network team would know them. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** router.json: what runs, and what it was loaded with. */
export interface RouterRecord {
  readonly name: string;
  readonly address: string;
  /** SHA-256 of the rendered file and of the variables' values: the same digest means nothing to reload. */
  readonly loadedSha256: string;
  /** How many times the lab loaded a configuration into this router since it started it. */
  readonly loads: number;
  readonly startedAt: string;
}

export interface RouterStatus {
  readonly name: string;
  readonly address: string;
  readonly running: boolean;
}

const DAEMONS = ['zebra', 'bgpd'] as const;
const FRR_DIR = '/usr/lib/frr';
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const run = promisify(execFile);

const ROUTER_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

class RouterFiles {
  constructor(
    readonly paths: LabPaths,
    readonly name: string,
  ) {}
  get dir(): string {
    return join(this.paths.stateDir, 'routers', this.name);
  }
  get runDir(): string {
    return join('/run', isolatedNetworkOf(this.paths).name, 'routers', this.name);
  }
  get recordFile(): string {
    return join(this.dir, 'router.json');
  }
  get configFile(): string {
    return join(this.dir, 'frr.conf');
  }
  pidFile(daemon: string): string {
    return join(this.runDir, `${daemon}.pid`);
  }
  logFile(daemon: string): string {
    return join(this.runDir, `${daemon}.log`);
  }
  get netns(): Attachment {
    return attachmentOf(isolatedNetworkOf(this.paths), 'r', this.name);
  }
}

function routersDir(paths: LabPaths): string {
  return join(paths.stateDir, 'routers');
}

function digest(spec: RouterSpec): string {
  const secrets = Object.entries(spec.secrets ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify([spec.address, spec.config, secrets])).digest('hex');
}

function readRecord(files: RouterFiles): RouterRecord | undefined {
  try {
    return JSON.parse(readFileSync(files.recordFile, 'utf8')) as RouterRecord;
  } catch {
    return undefined;
  }
}

/** The daemon's PID if it runs from this router's run directory (a reused PID is not ours). */
function daemonPid(files: RouterFiles, daemon: string): number | undefined {
  try {
    const pid = Number(readFileSync(files.pidFile(daemon), 'utf8').trim());
    if (!Number.isInteger(pid) || startTimeOf(pid) === undefined) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(files.runDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function running(files: RouterFiles): boolean {
  return DAEMONS.every((d) => daemonPid(files, d) !== undefined);
}

async function stopDaemons(files: RouterFiles): Promise<void> {
  const pids = DAEMONS.flatMap((d) => daemonPid(files, d) ?? []);
  await killAndWait(pids);
}

function daemonArgs(files: RouterFiles, daemon: (typeof DAEMONS)[number]): string[] {
  return [
    `--net=${files.netns.file}`,
    '--',
    join(FRR_DIR, daemon),
    '-d',
    // No startup file: the configuration comes through vtysh, as an operator loads it.
    '-f',
    '/dev/null',
    '-i',
    files.pidFile(daemon),
    '-z',
    join(files.runDir, 'zserv.api'),
    '--vty_socket',
    files.runDir,
    // No telnet VTY: vtysh through the run directory's sockets only.
    '-P',
    '0',
    '--log',
    `file:${files.logFile(daemon)}`,
  ];
}

async function startDaemons(files: RouterFiles): Promise<void> {
  rmSync(files.runDir, { recursive: true, force: true });
  mkdirSync(dirname(files.runDir), { recursive: true, mode: 0o755 });
  mkdirSync(files.runDir, { mode: 0o750 });
  // FRR drops to the frr user, which must own its run directory and may write its logs.
  const { uid, gid } = frrIds();
  chownSync(files.runDir, uid, gid);
  for (const daemon of DAEMONS) {
    writeFileSync(files.logFile(daemon), '');
    chownSync(files.logFile(daemon), uid, gid);
    // -d returns once the daemon is ready for the next one (zebra's API socket listens).
    await run('nsenter', daemonArgs(files, daemon), { env: { PATH } }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`router ${files.name}: ${daemon} did not start: ${err.stderr?.trim() || err.message}\n${readFileSync(files.logFile(daemon), 'utf8').trim()}`);
    });
  }
}

function frrIds(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'));
  const [, , uid, gid] = passwd?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('the lab needs the frr user of Debian’s frr package; install frr (herd lab up installs it)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Replaces every secret value in text, so that an error never carries one. */
function redact(text: string, secrets: Readonly<Record<string, string>>): string {
  return Object.values(secrets)
    .filter((v) => v !== '')
    .reduce((t, v) => t.split(v).join('<redacted>'), text);
}

/**
 * `envsubst < frr.conf | vtysh -f /dev/stdin` in the router's namespace, run
 * by bash as the header has it (vtysh opens /dev/stdin, which must be a pipe);
 * the values reach envsubst through its environment only.
 */
async function load(files: RouterFiles, spec: RouterSpec): Promise<void> {
  const secrets = spec.secrets ?? {};
  const pipeline = 'envsubst < "$0" | nsenter --net="$1" -- vtysh --vty_socket "$2" -f /dev/stdin';
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', pipeline, files.configFile, files.netns.file, files.runDir], { env: { PATH, ...secrets }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0) {
    throw new Error(`router ${spec.name}: vtysh refused its configuration (exit ${output.code}):\n${redact(output.text.trim(), secrets)}`);
  }
}

export function checkRouter(fabric: FabricSpec, spec: RouterSpec, taken: ReadonlyMap<string, string>): void {
  if (!ROUTER_NAME.test(spec.name)) throw new Error(`lab router name "${spec.name}" is not a DNS label of at most 32 characters`);
  checkFabricAddress(fabric, `router ${spec.name}`, spec.address);
  if (spec.address === fabric.gateway) throw new Error(`lab router ${spec.name}: ${spec.address} is the fabric's gateway`);
  const owner = taken.get(spec.address);
  if (owner !== undefined && owner !== spec.name) throw new Error(`lab router ${spec.name}: ${spec.address} is taken by ${owner}`);
}

/**
 * Has the router run with this configuration: started (namespace, zebra,
 * bgpd, configuration) if it does not run; restarted and loaded afresh if
 * it runs with another configuration or address; left alone otherwise.
 * Returns what it did.
 */
export async function ensureRouter(paths: LabPaths, fabric: FabricSpec, spec: RouterSpec): Promise<'started' | 'reloaded' | 'unchanged'> {
  const files = new RouterFiles(paths, spec.name);
  const record = readRecord(files);
  const wanted = digest(spec);
  const alive = record !== undefined && running(files) && existsSync(files.netns.file);
  if (alive && record.loadedSha256 === wanted) return 'unchanged';
  await stopDaemons(files);
  // Until the new configuration loaded, the router matches no record: a failed load is retried in full.
  rmSync(files.recordFile, { force: true });
  if (!alive || record.address !== spec.address) attach(isolatedNetworkOf(paths), fabric, files.netns, spec.address, false);
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.configFile, spec.config);
  await startDaemons(files);
  await load(files, spec);
  const next: RouterRecord = { name: spec.name, address: spec.address, loadedSha256: wanted, loads: (alive ? record.loads : 0) + 1, startedAt: alive ? record.startedAt : new Date().toISOString() };
  writeFileSync(files.recordFile, `${JSON.stringify(next, null, 2)}\n`);
  return alive ? 'reloaded' : 'started';
}

export function routerNames(paths: LabPaths): string[] {
  const dir = routersDir(paths);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function routerRecord(paths: LabPaths, name: string): RouterRecord | undefined {
  return readRecord(new RouterFiles(paths, name));
}

export function routerStatus(paths: LabPaths): RouterStatus[] {
  return routerNames(paths).flatMap((name) => {
    const files = new RouterFiles(paths, name);
    const record = readRecord(files);
    return record ? [{ name, address: record.address, running: running(files) }] : [];
  });
}

export function routerNetns(paths: LabPaths, name: string): Attachment {
  return new RouterFiles(paths, name).netns;
}

/** vtysh -c COMMAND on the router, its output. */
export async function vtysh(paths: LabPaths, name: string, command: string): Promise<string> {
  const files = new RouterFiles(paths, name);
  const { stdout } = await run('nsenter', [`--net=${files.netns.file}`, '--', 'vtysh', '--vty_socket', files.runDir, '-c', command], { env: { PATH } });
  return stdout;
}

/** Stops one router and deletes its namespace and files. */
export async function stopRouter(paths: LabPaths, name: string): Promise<void> {
  const files = new RouterFiles(paths, name);
  await stopDaemons(files);
  detach(files.netns);
  rmSync(files.runDir, { recursive: true, force: true });
  rmSync(files.dir, { recursive: true, force: true });
}

/** Stops every router of the lab. */
export async function stopRouters(paths: LabPaths): Promise<void> {
  for (const name of routerNames(paths)) await stopRouter(paths, name);
  rmSync(routersDir(paths), { recursive: true, force: true });
  rmSync(join('/run', isolatedNetworkOf(paths).name), { recursive: true, force: true });
}
