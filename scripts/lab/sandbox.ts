import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hiddenPaths, writeBaseSeed, writeHostSeed, type HostIdentity } from './host-files.ts';
import { simulatorBundles } from './simulator-bundles.ts';
import { IN_HOST, LAB_CODE_DIR, REPO_ROOT, type LabPaths } from './paths.ts';
import { childrenOf, type HostProcess } from './processes.ts';
import { startTimeOf } from '../system/processes.ts';
import { waitForSsh } from './probe.ts';

/** What every host of one lab shares. */
export interface SandboxContext {
  readonly paths: LabPaths;
  readonly user: string;
  readonly publicKey: string;
}

/** Where a host sits: the machine's network (default), or the lab's isolated network, or both as its bastion. */
export interface HostNetwork {
  /** The host runs inside this network namespace (a /run/netns file) instead of the machine's network. */
  readonly inside?: string;
  /** The host is the bastion of this network namespace: reachable here, its SSH sessions run there. */
  readonly bastionOf?: string;
  /** The host's namespace (`inside`) is its own, on the lab's fabric: it runs a simulated calico-node with real BIRD. */
  readonly fabric?: boolean;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const ENTER_SCRIPT = join(LAB_CODE_DIR, 'sandbox/enter.sh');
const NODE_PATH = realpathSync(process.execPath);
/** The node_modules directory the yaml package sits in, bound into every host for the simulators. */
const NODE_MODULES = dirname(dirname(createRequire(import.meta.url).resolve('yaml/package.json')));
const VERSIONS_DIR = join(REPO_ROOT, 'stacks', 'versions');

/**
 * The overlay shows only the root file system; anything the simulators need
 * from another file system (node installed under a separate mount, say) is
 * bound in at the same path.
 */
function extraBinds(): string[] {
  const rootDev = statSync('/').dev;
  const nodeDir = dirname(NODE_PATH);
  return statSync(nodeDir).dev === rootDev ? [] : [nodeDir];
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Writes the files all hosts of the lab start with; once per start, before launching hosts. */
export function prepareBaseSeed(ctx: SandboxContext): void {
  rmSync(ctx.paths.baseSeedDir, { recursive: true, force: true });
  writeBaseSeed(ctx.paths.baseSeedDir, ctx.user, NODE_PATH, simulatorBundles());
}

/** Prepares a host's directory on the machine: seed files, io files the simulators write. */
function prepareHostDir(ctx: SandboxContext, host: HostIdentity): void {
  const { paths } = ctx;
  rmSync(paths.hostDir(host.name), { recursive: true, force: true });
  mkdirSync(paths.mntDir(host.name), { recursive: true, mode: 0o755 });
  // Simulators run as whichever user called them (root under sudo, or the login user) and write here.
  mkdirSync(paths.ioDir(host.name), { recursive: true, mode: 0o777 });
  chmodSync(paths.ioDir(host.name), 0o777);
  writeHostSeed(paths.seedDir(host.name), host);
  writeFileSync(join(paths.ioDir(host.name), 'host.json'), `${JSON.stringify({ name: host.name, address: host.address, user: host.user })}\n`, { mode: 0o644 });
  for (const file of [paths.journalFile(host.name), paths.sshdLog(host.name)]) writeWorldWritable(file, '');
  writeWorldWritable(paths.faultsFile(host.name), `${JSON.stringify({ connection: null, commands: [] })}\n`);
}

/** A file every user of a lab host writes to (simulators run as the login user too); chmod because the umask trims the mode. */
export function writeWorldWritable(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o666 });
  chmodSync(file, 0o666);
}

/**
 * Starts one lab host and returns once its sshd answers. The host runs in new
 * mount, UTS, IPC and PID namespaces under `unshare --kill-child`, detached
 * from this process, so that it outlives `herd lab up` and dies as a whole
 * when its `unshare` is killed.
 */
export async function launchHost(ctx: SandboxContext, host: HostIdentity, timeoutMs: number, network: HostNetwork = {}): Promise<HostProcess> {
  const { paths } = ctx;
  prepareHostDir(ctx, host);
  const log = openSync(paths.sandboxLog(host.name), 'w', 0o644);
  const unshare = ['unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', '/bin/bash', ENTER_SCRIPT, paths.hostDir(host.name)];
  // nsenter execs unshare in the namespace: the child's PID stays unshare's.
  const argv = network.inside === undefined ? unshare : ['nsenter', `--net=${network.inside}`, '--', ...unshare];
  const child = spawn(
    argv[0]!,
    argv.slice(1),
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        HERD_LAB_NAME: host.name,
        HERD_LAB_ADDRESS: host.address,
        HERD_LAB_USER: host.user,
        HERD_LAB_PUBKEY: ctx.publicKey,
        HERD_LAB_CODE_DIR: LAB_CODE_DIR,
        HERD_LAB_NODE_MODULES: NODE_MODULES,
        HERD_LAB_VERSIONS_DIR: VERSIONS_DIR,
        HERD_LAB_CLUSTER_DIR: paths.clusterDir,
        HERD_LAB_EXTRA_BINDS: extraBinds().join(':'),
        HERD_LAB_BASE_SEED: paths.baseSeedDir,
        HERD_LAB_HIDE: hiddenPaths().join(':'),
        ...(network.bastionOf === undefined ? {} : { HERD_LAB_INNER_NETNS: network.bastionOf, HERD_LAB_NODE: NODE_PATH }),
        ...(network.fabric ? { HERD_LAB_FABRIC: '1', HERD_LAB_NODE: NODE_PATH } : {}),
      },
    },
  );
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, sig) => {
    exited = `the sandbox of ${host.name} exited (${sig ?? `code ${code}`}):\n${tail(paths.sandboxLog(host.name))}`;
  });
  child.on('error', (err) => {
    exited = `cannot start the sandbox of ${host.name}: ${err.message}`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    await sleep(0);
    throw new Error(exited ?? `cannot start the sandbox of ${host.name}`);
  }
  const startTime = startTimeOf(pid);
  let initPid: number | undefined;
  const deadline = Date.now() + timeoutMs;
  while (initPid === undefined) {
    if (exited !== undefined) throw new Error(exited);
    if (Date.now() > deadline) throw new Error(`the sandbox of ${host.name} did not start its init within ${timeoutMs} ms`);
    initPid = childrenOf(pid)[0];
    if (initPid === undefined) await sleep(5);
  }
  if (startTime === undefined) throw new Error(exited ?? `the sandbox of ${host.name} exited at once`);
  const proc: HostProcess = { pid, initPid, startTime };
  writeFileSync(paths.processFile(host.name), `${JSON.stringify(proc)}\n`);
  await Promise.race([
    waitForSsh(host.address, Math.max(0, deadline - Date.now()), 22, network.inside),
    (async () => {
      while (exited === undefined) await sleep(20);
      throw new Error(exited);
    })(),
  ]).finally(() => {
    exited ??= 'done';
  });
  return proc;
}

/** Runs argv inside a host's namespaces (its network's too) and root as its root user, outside of SSH. */
export function hostExec(initPid: number, argv: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['--target', String(initPid), '--mount', '--uts', '--ipc', '--pid', '--net', '--root', '--wd', '--', ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(input ?? '');
  });
}

/** Runs one action of sandbox/ctl.sh inside a host; throws with its output if it fails. */
export async function hostControl(initPid: number, action: string, ...args: string[]): Promise<void> {
  const result = await hostExec(initPid, ['/bin/bash', IN_HOST.ctl, action, ...args]);
  if (result.code !== 0) throw new Error(`lab host control "${action}" failed (exit ${result.code}): ${result.stderr.trim()}`);
}

export { NODE_PATH };
