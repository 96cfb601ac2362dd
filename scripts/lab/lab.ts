/**
 * The lab: sandboxed SSH hosts on this machine that look like fresh Debian VMs.
 *
 * Each host is one real OpenSSH sshd on its own loopback address (port 22),
 * with its own host key and hostname, in new mount/UTS/IPC/PID namespaces
 * whose root is an overlay over the machine's `/` (upper layer on a tmpfs), so
 * scripts may write /etc, /var/lib or /opt and the machine stays untouched.
 * The login user (default "herd") has the lab's key and passwordless sudo.
 * kubeadm, kubelet, kubectl, systemctl, modprobe, sysctl, swapoff, apt-get,
 * apt-mark, dpkg-query and curl are simulators (simulators/); everything else
 * is the real tool. Kubernetes does not run in the lab.
 *
 * Programmatic use (tests, benchmarks):
 *
 *   const lab = await startLab({ stateDir, hosts: [{ name: 'cp-1', address: '127.20.0.11' }] });
 *   // connect with ssh2: { host: lab.host('cp-1').address, port: 22, username: lab.user,
 *   //   privateKey: readFileSync(lab.keyFile) }
 *   await lab.setFault('cp-1', { kind: 'fail', command: 'kubeadm join', exitCode: 1 });
 *   lab.journal('cp-1');      // JournalEntry[]: every simulated call on that host
 *   lab.clusterState();       // ClusterState: nodes, tokens (digests), applied resources, etcd members
 *   await lab.rebuild('cp-1'); // the same name and address, an empty disk and a new host key
 *   await lab.stop();
 *
 * Hosts behind a bastion (`isolated`): the hosts run in a network namespace
 * the lab creates (its isolated network), listening on loopback addresses
 * that exist only there, so nothing on this machine reaches them directly;
 * the bastion is a lab host reachable at its own address here, whose SSH
 * sessions run in the isolated network (sandbox/bastion-gateway.mjs):
 *
 *   const lab = await startLab({ stateDir, hosts: [{ name: 'cp-1', address: '127.35.1.11' }],
 *     isolated: { bastion: { name: 'bastion', address: '127.35.0.10' } } });
 *   // ssh2: connect to lab.bastion.address, then forwardOut(…, lab.host('cp-1').address, 22)
 *   // OpenSSH: ssh -J herd@127.35.0.10 herd@127.35.1.11
 *
 * startLab reconciles: hosts of the state directory that still run are kept
 * (so `--hosts 6` after `--hosts 3` adds three), hosts whose processes died
 * are cleaned and started afresh, and stray processes of a crashed run are
 * killed. When no host survived, the shared cluster state is reset as well.
 * stopLab kills every process the lab started, by PID (the host's
 * `unshare`, whose death ends the host's PID namespace and with it every
 * process and mount inside), and removes what the lab created.
 *
 * Addresses must be loopback (127.0.0.0/8): Linux answers the whole range on
 * `lo` without `ip addr add`, and nothing outside the machine is addressed.
 * Starting needs root (namespaces, mounts, port 22).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import pLimit from 'p-limit';
import { ensureSealingKeys, forgetHostMachine, readClusterState, type ClusterState } from './cluster-state.ts';
import { applyFault, clearFaults, readFaults, type Fault, type FaultTarget } from './faults.ts';
import { readJournal, type JournalEntry } from './journal.ts';
import { ensureKeyPair } from './keys.ts';
import { LabPaths } from './paths.ts';
import { findSandboxProcesses, isRunning, killAndWait, type HostProcess } from './processes.ts';
import { probeSsh, type SshProbe } from './probe.ts';
import { createNetwork, deleteNetwork, isolatedNetworkOf, networkExists, type IsolatedNetwork } from './network.ts';
import { attach, attachmentOf, attachmentsOf, checkFabric, checkFabricAddress, detach, ensureFabric, type Attachment, type FabricSpec } from './fabric.ts';
import { checkRouter, ensureRouter, routerNetns, routerRecord, routerStatus, stopRouters, vtysh, type RouterRecord, type RouterSpec, type RouterStatus } from './routers.ts';
import { hostExec, launchHost, prepareBaseSeed, writeWorldWritable, type ExecResult, type HostNetwork, type SandboxContext } from './sandbox.ts';
import { relays, startRelay, stopRelays, type LatencyRelay } from './latency.ts';
import { checkUserName } from './users.ts';

export type { Fault } from './faults.ts';
export type { JournalEntry } from './journal.ts';
export type { ClusterState } from './cluster-state.ts';
export type { ExecResult } from './sandbox.ts';
export type { SshProbe } from './probe.ts';
export type { IsolatedNetwork } from './network.ts';
export type { LatencyRelay } from './latency.ts';
export type { FabricSpec } from './fabric.ts';
export type { RouterRecord, RouterSpec, RouterStatus } from './routers.ts';

export interface LabHostSpec {
  readonly name: string;
  readonly address: string;
}

export interface StartLabOptions {
  /** Where the lab keeps its key, host directories, journals and cluster state; created if missing. */
  readonly stateDir: string;
  /** Hosts to have running, in order. */
  readonly hosts: readonly LabHostSpec[];
  /** Login user on every host. Default "herd". */
  readonly user?: string;
  /** Private key file of the lab's login key (kept if present). Default <stateDir>/id_ed25519. */
  readonly keyFile?: string;
  /** Hosts started at once. Default 8. */
  readonly concurrency?: number;
  /** Per host, until its sshd answers. Default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * Puts `hosts` in the lab's isolated network, reachable only through this
   * bastion (a lab host like the others, at its address on this machine).
   * With `fabric`, each host gets a network namespace of its own on the
   * fabric (see fabric.ts), its address in the fabric's CIDR.
   */
  readonly isolated?: { readonly bastion: LabHostSpec; readonly fabric?: FabricSpec };
}

/**
 * Where a host sits: "machine" on this machine's loopback; "isolated" in the
 * lab's isolated network, reachable only through the bastion; "fabric" in a
 * network namespace of its own on the lab's fabric, reachable only through
 * the bastion; "bastion" reachable here, with its SSH sessions in the
 * isolated network.
 */
export type LabHostNetwork = 'machine' | 'isolated' | 'fabric' | 'bastion';

/** A host as lab.json records it. */
interface HostRecord extends LabHostSpec {
  readonly network?: LabHostNetwork;
}

export interface LabHost extends LabHostSpec {
  readonly port: 22;
  readonly network: LabHostNetwork;
  /** PID of the host's `unshare` on this machine. */
  readonly pid: number;
  /** PID of the host's init on this machine (PID 1 inside the host). */
  readonly initPid: number;
}

export interface HostStatus extends LabHostSpec {
  readonly pid: number | null;
  readonly running: boolean;
  readonly ssh: SshProbe;
}

/** lab.json: what the lab consists of; per-host process records are in hosts/<name>/process.json. */
interface LabFile {
  readonly version: 1;
  readonly user: string;
  readonly keyFile: string;
  readonly keyCreated: boolean;
  /** The bastion included. */
  readonly hosts: readonly HostRecord[];
  readonly fabric?: FabricSpec;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function checkHosts(hosts: readonly HostRecord[], fabric: FabricSpec | undefined): void {
  if (fabric) checkFabric(fabric);
  const names = new Set<string>();
  const addresses = new Set<string>();
  for (const host of hosts) {
    const { name, address } = host;
    if (!HOST_NAME.test(name)) throw new Error(`lab host name "${name}" is not a DNS label (lower-case letters, digits, "-")`);
    if (fabric && networkOf(host) === 'fabric') {
      checkFabricAddress(fabric, `host ${name}`, address);
      if (address === fabric.gateway) throw new Error(`lab host ${name}: ${address} is the fabric's gateway`);
    } else if (!ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv4.parse(address).range() !== 'loopback') {
      throw new Error(`lab host ${name}: address "${address}" is not an IPv4 loopback address (127.0.0.0/8); the lab never addresses anything outside this machine`);
    }
    if (address === '127.0.0.1') throw new Error(`lab host ${name}: 127.0.0.1 belongs to the machine itself; pick another 127.x.y.z address`);
    if (names.has(name)) throw new Error(`lab host name "${name}" appears twice`);
    if (addresses.has(address)) throw new Error(`lab address ${address} appears twice`);
    names.add(name);
    addresses.add(address);
  }
}

function readLabFile(paths: LabPaths): LabFile | undefined {
  try {
    return JSON.parse(readFileSync(paths.labFile, 'utf8')) as LabFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readProcess(paths: LabPaths, name: string): HostProcess | undefined {
  try {
    return JSON.parse(readFileSync(paths.processFile(name), 'utf8')) as HostProcess;
  } catch {
    return undefined;
  }
}

function networkOf(host: HostRecord): LabHostNetwork {
  return host.network ?? 'machine';
}

/** A fabric host's own network namespace. */
function hostAttachment(paths: LabPaths, name: string): Attachment {
  return attachmentOf(isolatedNetworkOf(paths), 'h', name);
}

/** Where the lab's tools must stand to reach the host's sshd. */
function netnsOf(paths: LabPaths, host: HostRecord): string | undefined {
  if (networkOf(host) === 'isolated') return isolatedNetworkOf(paths).file;
  if (networkOf(host) === 'fabric') return hostAttachment(paths, host.name).file;
  return undefined;
}

function hostNetwork(paths: LabPaths, host: HostRecord): HostNetwork {
  const net = isolatedNetworkOf(paths);
  if (networkOf(host) === 'isolated') return { inside: net.file };
  if (networkOf(host) === 'fabric') return { inside: hostAttachment(paths, host.name).file, fabric: true };
  if (networkOf(host) === 'bastion') return { bastionOf: net.file };
  return {};
}

function sameFabric(a: FabricSpec | undefined, b: FabricSpec | undefined): boolean {
  return a?.cidr === b?.cidr && a?.gateway === b?.gateway;
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root: it creates namespaces and mounts and binds port 22');
}

/** Addresses of every host directory, lab.json or not (a crash may have come before it was written). */
function recordedAddresses(paths: LabPaths): string[] {
  if (!existsSync(paths.hostsDir)) return [];
  return readdirSync(paths.hostsDir).flatMap((name) => {
    try {
      return [(JSON.parse(readFileSync(join(paths.ioDir(name), 'host.json'), 'utf8')) as LabHostSpec).address];
    } catch {
      return [];
    }
  });
}

/** Kills recorded and stray sandbox processes of hosts not in `keep`, and removes their directories and fabric namespaces. */
async function cleanHosts(paths: LabPaths, keep: ReadonlySet<string>): Promise<void> {
  const entries = existsSync(paths.hostsDir) ? readdirSync(paths.hostsDir) : [];
  const keptPids = new Set<number>();
  const toKill: number[] = [];
  for (const name of entries) {
    const proc = readProcess(paths, name);
    if (keep.has(name) && proc) {
      keptPids.add(proc.pid).add(proc.initPid);
      continue;
    }
    if (proc && isRunning(proc)) toKill.push(proc.pid, proc.initPid);
  }
  toKill.push(...findSandboxProcesses(paths.hostsDir).filter((pid) => !keptPids.has(pid)));
  await killAndWait([...new Set(toKill)]);
  for (const name of entries) {
    if (keep.has(name)) continue;
    rmSync(paths.hostDir(name), { recursive: true, force: true });
    detach(hostAttachment(paths, name));
  }
}

/** Deletes the isolated network and every fabric namespace of the lab (their processes must be gone). */
function deleteNetworks(paths: LabPaths): void {
  const core = isolatedNetworkOf(paths);
  for (const ns of attachmentsOf(core)) detach(ns);
  deleteNetwork(core);
}

/**
 * Starts the given hosts (keeping any of this state directory's hosts that
 * still run) and returns a handle on the whole lab.
 */
export async function startLab(options: StartLabOptions): Promise<Lab> {
  requireRoot();
  const paths = new LabPaths(options.stateDir);
  const user = options.user ?? 'herd';
  checkUserName(user);
  const bastion = options.isolated?.bastion;
  const fabric = options.isolated?.fabric;
  const inner: LabHostNetwork = fabric ? 'fabric' : 'isolated';
  const wanted: HostRecord[] = bastion
    ? [{ ...bastion, network: 'bastion' }, ...options.hosts.map((h): HostRecord => ({ ...h, network: inner }))]
    : [...options.hosts];
  checkHosts(wanted, fabric);
  const keyFile = resolve(options.keyFile ?? join(paths.stateDir, 'id_ed25519'));

  const previous = readLabFile(paths);
  // A host survives if its processes run and its sshd answers (or a fault silenced it on purpose);
  // one whose sshd broke is started afresh, like a VM that is rebuilt.
  const alive = new Map<string, LabHostSpec>();
  await Promise.all(
    (previous?.hosts ?? []).map(async (host) => {
      const proc = readProcess(paths, host.name);
      if (!proc || !isRunning(proc)) return;
      if (readFaults(paths, host.name).connection === null && (await probeSsh(host.address, 22, 1_000, netnsOf(paths, host))) !== 'answering') return;
      alive.set(host.name, host);
    }),
  );
  if (previous && alive.size > 0 && (previous.user !== user || previous.keyFile !== keyFile)) {
    throw new Error(`the lab in ${paths.stateDir} runs with user "${previous.user}" and key ${previous.keyFile}; stop it first (herd lab down)`);
  }
  if (previous && alive.size > 0 && !sameFabric(previous.fabric, fabric) && (previous.fabric || fabric)) {
    const describe = (f: FabricSpec | undefined): string => (f ? `the fabric ${f.cidr} (gateway ${f.gateway})` : 'no fabric');
    throw new Error(`the lab in ${paths.stateDir} runs with ${describe(previous.fabric)}, not ${describe(fabric)}; stop it first (herd lab down)`);
  }
  for (const host of wanted) {
    const running = alive.get(host.name);
    if (running && running.address !== host.address) {
      throw new Error(`lab host ${host.name} already runs at ${running.address}, not ${host.address}; stop the lab first (herd lab down)`);
    }
    if (running && networkOf(running) !== networkOf(host)) {
      throw new Error(`lab host ${host.name} already runs on the ${networkOf(running)} network, not the ${networkOf(host)} one; stop the lab first (herd lab down)`);
    }
    const clash = [...alive.values()].find((h) => h.address === host.address && h.name !== host.name);
    if (clash) throw new Error(`address ${host.address} is taken by running lab host ${clash.name}`);
  }
  const missing = wanted.filter((h) => !alive.has(h.name));
  // Our own dead hosts' addresses are freed below; any other listener is not ours to kill.
  // Isolated and fabric hosts' addresses exist only in the lab's own networks.
  const ours = new Set([...(previous?.hosts ?? []).map((h) => h.address), ...recordedAddresses(paths)]);
  await Promise.all(
    missing
      .filter((host) => !ours.has(host.address) && (networkOf(host) === 'machine' || networkOf(host) === 'bastion'))
      .map(async (host) => {
        const probe = await probeSsh(host.address, 22, 300);
        if (probe === 'answering' || probe === 'silent') {
          throw new Error(`${host.address}:22 is already in use by something that is not this lab; pick other addresses or stop it`);
        }
      }),
  );

  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  await cleanHosts(paths, new Set(alive.keys()));
  const network = isolatedNetworkOf(paths);
  if (alive.size === 0) {
    // Nothing survived: the shared cluster state describes hosts that are gone, the network a crashed run left is empty.
    rmSync(paths.clusterDir, { recursive: true, force: true });
    await stopRelays(paths);
    await stopRouters(paths);
    deleteNetworks(paths);
  }
  const needsNetwork = [...alive.values(), ...missing].some((h) => networkOf(h) !== 'machine');
  if (needsNetwork && !networkExists(network)) {
    if ([...alive.values()].some((h) => networkOf(h) !== 'machine')) {
      throw new Error(`the isolated network ${network.name} of running lab hosts is gone; stop the lab first (herd lab down)`);
    }
    createNetwork(network);
  }
  if (fabric) {
    ensureFabric(network, fabric);
    for (const host of missing) if (networkOf(host) === 'fabric') attach(network, fabric, hostAttachment(paths, host.name), host.address, true);
  }
  mkdirSync(paths.clusterDir, { recursive: true, mode: 0o777 });
  chmodSync(paths.clusterDir, 0o777);
  ensureSealingKeys(paths.clusterDir);
  // A host started afresh is a new machine at the old name: the cluster's kubelet on it is gone.
  for (const host of missing) forgetHostMachine(paths.clusterDir, host.name);
  mkdirSync(paths.hostsDir, { recursive: true, mode: 0o755 });

  const keyExisted = existsSync(keyFile);
  const key = ensureKeyPair(keyFile);
  const ctx: SandboxContext = { paths, user, publicKey: key.publicKey };
  prepareBaseSeed(ctx);
  const limit = pLimit(options.concurrency ?? 8);
  const timeout = options.startTimeoutMs ?? 30_000;
  const results = await Promise.allSettled(
    missing.map((host) => limit(() => launchHost(ctx, { name: host.name, address: host.address, user }, timeout, hostNetwork(paths, host)))),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));

  const hosts = [...(previous?.hosts ?? []).filter((h) => alive.has(h.name)), ...missing];
  const labFile: LabFile = { version: 1, user, keyFile, keyCreated: previous?.keyCreated ?? !keyExisted, hosts, ...(fabric ? { fabric } : {}) };
  writeFileSync(paths.labFile, `${JSON.stringify(labFile, null, 2)}\n`);
  if (failures.length > 0) {
    await cleanHosts(paths, new Set(alive.keys()));
    writeFileSync(paths.labFile, `${JSON.stringify({ ...labFile, hosts: hosts.filter((h) => alive.has(h.name)) }, null, 2)}\n`);
    throw new Error(`${failures.length} of ${missing.length} lab hosts did not start:\n${failures.map((e) => e.message).join('\n')}`);
  }
  return openLab(paths.stateDir);
}

/** A handle on a running lab, from its state directory. */
export function openLab(stateDir: string): Lab {
  const paths = new LabPaths(stateDir);
  const file = readLabFile(paths);
  if (!file) throw new Error(`no lab in ${paths.stateDir} (start one with herd lab up)`);
  return new Lab(paths, file);
}

/** Stops every host of the lab in stateDir and removes what the lab created. Does nothing if there is no lab. */
export async function stopLab(stateDir: string): Promise<void> {
  const paths = new LabPaths(stateDir);
  if (!existsSync(paths.stateDir)) return;
  const file = readLabFile(paths);
  await stopRelays(paths);
  await cleanHosts(paths, new Set());
  rmSync(paths.hostsDir, { recursive: true, force: true });
  rmSync(paths.baseSeedDir, { recursive: true, force: true });
  rmSync(paths.clusterDir, { recursive: true, force: true });
  rmSync(paths.labFile, { force: true });
  await stopRouters(paths);
  deleteNetworks(paths);
  if (file?.keyCreated) {
    rmSync(file.keyFile, { force: true });
    rmSync(`${file.keyFile}.pub`, { force: true });
  }
  try {
    rmdirSync(paths.stateDir);
  } catch {
    // Not empty: someone else's files live there too; leave them.
  }
}

/**
 * Starts one host of the lab afresh, as a machine re-imaged under the same
 * name and address: a new overlay (an empty disk), a new host key and
 * machine ID, no faults. The cluster forgets the kubelet it ran there. Its
 * journal is kept: it is the lab's record of what was called on that host,
 * not part of the machine.
 */
export async function rebuildLabHost(stateDir: string, name: string, startTimeoutMs = 30_000): Promise<LabHost> {
  requireRoot();
  const paths = new LabPaths(stateDir);
  const file = readLabFile(paths);
  const host = file?.hosts.find((h) => h.name === name);
  if (file === undefined || host === undefined) throw new Error(`no lab host named "${name}" in ${paths.stateDir}`);
  const proc = readProcess(paths, name);
  if (proc !== undefined) await killAndWait([proc.pid, proc.initPid]);
  const journal = existsSync(paths.journalFile(name)) ? readFileSync(paths.journalFile(name), 'utf8') : '';
  forgetHostMachine(paths.clusterDir, name);
  const ctx: SandboxContext = { paths, user: file.user, publicKey: ensureKeyPair(file.keyFile).publicKey };
  await launchHost(ctx, { name, address: host.address, user: file.user }, startTimeoutMs, hostNetwork(paths, host));
  writeWorldWritable(paths.journalFile(name), journal);
  return openLab(stateDir).host(name);
}

/** Each host of the lab in stateDir: its process, and whether its sshd answers. */
export async function labStatus(stateDir: string): Promise<HostStatus[]> {
  const paths = new LabPaths(stateDir);
  const file = readLabFile(paths);
  if (!file) return [];
  return Promise.all(
    file.hosts.map(async (host): Promise<HostStatus> => {
      const proc = readProcess(paths, host.name);
      const running = proc !== undefined && isRunning(proc);
      return { name: host.name, address: host.address, pid: running ? proc.pid : null, running, ssh: await probeSsh(host.address, 22, 1_000, netnsOf(paths, host)) };
    }),
  );
}

export class Lab {
  readonly stateDir: string;
  readonly user: string;
  /** The login key's private key file (OpenSSH format, 0600). */
  readonly keyFile: string;
  readonly #paths: LabPaths;
  readonly #hosts: readonly HostRecord[];
  readonly #fabric: FabricSpec | undefined;

  constructor(paths: LabPaths, file: LabFile) {
    this.#paths = paths;
    this.#fabric = file.fabric;
    this.stateDir = paths.stateDir;
    this.user = file.user;
    this.keyFile = file.keyFile;
    this.#hosts = file.hosts;
  }

  /** The hosts a test provisions: every host but the bastion. */
  get hosts(): readonly LabHost[] {
    return this.#hosts.filter((h) => networkOf(h) !== 'bastion').map((h) => this.host(h.name));
  }

  /** The bastion of the isolated network, if the lab has one. */
  get bastion(): LabHost | undefined {
    const bastion = this.#hosts.find((h) => networkOf(h) === 'bastion');
    return bastion && this.host(bastion.name);
  }

  /** The network namespace the isolated hosts run in (and the fabric's bridge sits in), if the lab has one. */
  get isolatedNetwork(): IsolatedNetwork | undefined {
    return this.bastion && isolatedNetworkOf(this.#paths);
  }

  /** The lab's fabric, if its hosts sit on one. */
  get fabric(): FabricSpec | undefined {
    return this.#fabric;
  }

  /**
   * Has these routers run on the fabric, each with its configuration (see
   * routers.ts): started if new, restarted if its configuration changed,
   * left alone otherwise. Routers not named are left alone.
   */
  async startRouters(specs: readonly RouterSpec[]): Promise<Record<string, 'started' | 'reloaded' | 'unchanged'>> {
    const fabric = this.#fabric;
    if (!fabric) {
      if (specs.length > 0) throw new Error(`lab router ${specs[0]!.name}: the lab in ${this.stateDir} has no fabric to attach it to (start it with isolated.fabric)`);
      return {};
    }
    const taken = new Map<string, string>([
      ...this.#hosts.map((h): [string, string] => [h.address, `lab host ${h.name}`]),
      ...routerStatus(this.#paths).map((r): [string, string] => [r.address, r.name]),
    ]);
    for (const spec of specs) {
      checkRouter(fabric, spec, taken);
      taken.set(spec.address, spec.name);
    }
    const results = await Promise.all(specs.map(async (spec) => [spec.name, await ensureRouter(this.#paths, fabric, spec)] as const));
    return Object.fromEntries(results);
  }

  /** The lab's routers and whether their daemons run. */
  get routers(): RouterStatus[] {
    return routerStatus(this.#paths);
  }

  /** What the lab loaded into a router, and how often. */
  routerRecord(name: string): RouterRecord {
    const record = routerRecord(this.#paths, name);
    if (!record) throw new Error(`no lab router named "${name}" in ${this.stateDir}`);
    return record;
  }

  /** The router's network namespace (for ip, ping, ss from inside it). */
  routerNetns(name: string): IsolatedNetwork {
    this.routerRecord(name);
    return routerNetns(this.#paths, name);
  }

  /** `vtysh -c command` on a router. */
  vtysh(router: string, command: string): Promise<string> {
    this.routerRecord(router);
    return vtysh(this.#paths, router, command);
  }

  /** The network namespace a fabric host runs in (for ip, ping, ss from inside it). */
  netns(host: string): IsolatedNetwork {
    const spec = this.host(host);
    if (spec.network !== 'fabric') throw new Error(`lab host ${host} is on the ${spec.network} network, not on a fabric`);
    return hostAttachment(this.#paths, host);
  }

  host(name: string): LabHost {
    const spec = this.#hosts.find((h) => h.name === name);
    const proc = spec && readProcess(this.#paths, name);
    if (!spec || !proc) throw new Error(`no lab host named "${name}" in ${this.stateDir}`);
    return { name: spec.name, address: spec.address, network: networkOf(spec), port: 22, pid: proc.pid, initPid: proc.initPid };
  }

  stop(): Promise<void> {
    return stopLab(this.stateDir);
  }

  /** Starts the host afresh under its name and address, as a re-imaged machine (rebuildLabHost). */
  async rebuild(name: string): Promise<LabHost> {
    return rebuildLabHost(this.stateDir, name);
  }

  #faultTarget(name: string): FaultTarget {
    const host = this.host(name);
    const netns = netnsOf(this.#paths, host);
    return { ...host, ...(netns === undefined ? {} : { netns }) };
  }

  status(): Promise<HostStatus[]> {
    return labStatus(this.stateDir);
  }

  /** Puts a fault on a host (see Fault); connection faults replace each other, command faults add up. */
  setFault(host: string, fault: Fault): Promise<void> {
    return applyFault(this.#paths, this.#faultTarget(host), fault);
  }

  /** Removes every fault from a host; its sshd answers again when this resolves. */
  clearFaults(host: string): Promise<void> {
    return clearFaults(this.#paths, this.#faultTarget(host));
  }

  /** Every simulated command called on the host so far, oldest first. */
  journal(host: string): JournalEntry[] {
    this.host(host);
    return readJournal(this.#paths.journalFile(host));
  }

  /** The shared simulated cluster; undefined until a simulator first wrote it. */
  clusterState(): ClusterState | undefined {
    return readClusterState(this.#paths.clusterDir);
  }

  /**
   * Puts `rttMs` of round-trip time between this machine and the lab's hosts
   * for connections to `port` instead of 22: a relay in front of every host
   * reachable from here (the bastion, for hosts behind one). Replaces a relay
   * on that port; stopped with the lab. See latency.ts.
   */
  delay(relay: LatencyRelay): Promise<void> {
    const front = this.#hosts.filter((h) => networkOf(h) === 'machine' || networkOf(h) === 'bastion').map((h) => h.address);
    return startRelay(this.#paths, relay, front);
  }

  /** The latency relays that run, by port. */
  relays(): LatencyRelay[] {
    return relays(this.#paths);
  }

  /** Runs a bash script as root inside the host, without SSH and without a journal of its own. */
  exec(host: string, script: string, input?: string): Promise<ExecResult> {
    return hostExec(this.host(host).initPid, ['/bin/bash', '-c', script], input);
  }

  /** Reads a file from the host's file system. */
  readFile(host: string, path: string): string {
    if (!isAbsolute(path)) throw new Error(`path must be absolute: ${path}`);
    return readFileSync(`/proc/${this.host(host).initPid}/root${path}`, 'utf8');
  }

  /** The host's public host key ("ssh-ed25519 AAAA…"). */
  hostKey(host: string): string {
    return this.readFile(host, '/etc/ssh/ssh_host_ed25519_key.pub').trim().split(' ').slice(0, 2).join(' ');
  }

  /** known_hosts lines for every host, the bastion included. */
  knownHosts(): string {
    return this.#hosts.map((h) => `${h.address} ${this.hostKey(h.name)}\n`).join('');
  }
}
