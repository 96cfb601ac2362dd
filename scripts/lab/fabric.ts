import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { contains, isReservedInNetwork, isValidIpv4, isValidIpv4Cidr, parseNetwork } from '../../stacks/environment/net.ts';
import { ip, type IsolatedNetwork } from './network.ts';

/**
 * A lab's fabric: the node network of an environment, built from network
 * namespaces the lab creates. One Linux bridge (`fabric0`) in the lab's
 * isolated network holds the environment's gateway address; every lab host
 * and every lab router has a network namespace of its own, attached to the
 * bridge by a veth pair whose inner end is its `eth0`, holding its address
 * in the node CIDR (hosts also get a default route through the gateway).
 * The bastion's sessions run in the isolated network, where the bridge is,
 * and so reach every address of the fabric. Nothing is added to this
 * machine's own network namespace.
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544, set aside for network tests)
 * only, so that no fabric can take the address of a real network this
 * machine talks to, should anything ever address it from outside the lab.
 */
export interface FabricSpec {
  /** The environment's network.cidr. */
  readonly cidr: string;
  /** The environment's network.gateway, held by the fabric's bridge. */
  readonly gateway: string;
}

const FABRIC_RANGE = parseNetwork('198.18.0.0/15');
const BRIDGE = 'fabric0';

/** A namespace the lab attached to its fabric, for one host or one router. */
export interface Attachment extends IsolatedNetwork {
  /** The veth end on the bridge (≤ 15 characters, unique within the lab). */
  readonly link: string;
}

export function checkFabric(spec: FabricSpec): void {
  const where = `lab fabric ${spec.cidr}`;
  if (!isValidIpv4Cidr(spec.cidr)) throw new Error(`${where}: not an IPv4 network in CIDR form, e.g. 198.18.10.0/24`);
  const net = parseNetwork(spec.cidr);
  if (net.first < FABRIC_RANGE.first || net.last > FABRIC_RANGE.last) {
    throw new Error(`${where}: a lab fabric takes its addresses from 198.18.0.0/15 (set aside for network tests), so that it can never be a real network of this machine`);
  }
  checkFabricAddress(spec, 'gateway', spec.gateway);
}

/** An address a host, router or the gateway may take on the fabric. */
export function checkFabricAddress(spec: FabricSpec, who: string, address: string): void {
  const net = parseNetwork(spec.cidr);
  if (!isValidIpv4(address) || !contains(net, address) || isReservedInNetwork(net, address)) {
    throw new Error(`lab ${who}: address "${address}" is not a host address of the fabric ${spec.cidr}`);
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** The namespace of a host (kind "h") or router ("r"), named after the lab's isolated network. */
export function attachmentOf(core: IsolatedNetwork, kind: 'h' | 'r', name: string): Attachment {
  const ns = `${core.name}-${kind}-${name}`;
  return { name: ns, file: `/run/netns/${ns}`, link: `${kind}${shortHash(name)}` };
}

/** The bridge with the gateway address, in the isolated network (created if missing; kept if there). */
export function ensureFabric(core: IsolatedNetwork, spec: FabricSpec): void {
  const prefix = parseNetwork(spec.cidr).prefix;
  if (!ip(['-n', core.name, '-o', 'link', 'show']).includes(`: ${BRIDGE}:`)) {
    ip(['-n', core.name, 'link', 'add', BRIDGE, 'type', 'bridge']);
  }
  const addresses = ip(['-n', core.name, '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  if (!addresses.includes(` ${spec.gateway}/${prefix} `)) ip(['-n', core.name, 'addr', 'add', `${spec.gateway}/${prefix}`, 'dev', BRIDGE]);
  ip(['-n', core.name, 'link', 'set', BRIDGE, 'up']);
}

/**
 * A fresh namespace on the fabric: loopback up, `eth0` with `address`, and
 * (for hosts) a default route through the gateway. An old namespace of the
 * same name (a crashed run's) is deleted first.
 */
export function attach(core: IsolatedNetwork, spec: FabricSpec, target: Attachment, address: string, defaultRoute: boolean): void {
  detach(target);
  const prefix = parseNetwork(spec.cidr).prefix;
  ip(['netns', 'add', target.name]);
  ip(['-n', target.name, 'link', 'set', 'lo', 'up']);
  ip(['-n', core.name, 'link', 'add', target.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', target.name]);
  ip(['-n', core.name, 'link', 'set', target.link, 'master', BRIDGE, 'up']);
  ip(['-n', target.name, 'addr', 'add', `${address}/${prefix}`, 'dev', 'eth0']);
  ip(['-n', target.name, 'link', 'set', 'eth0', 'up']);
  if (defaultRoute) {
    ip(['-n', target.name, 'route', 'add', 'default', 'via', spec.gateway, 'dev', 'eth0']);
    // A node forwards (kubeadm's preflight insists): a router that learned another node's block through
    // this one sends its packets here. The simulated sysctl keeps its own value; this is the kernel's.
    ip(['netns', 'exec', target.name, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  }
}

/** Deletes the namespace; its veth pair goes with it once no process is left inside. */
export function detach(target: IsolatedNetwork): void {
  if (existsSync(target.file)) ip(['netns', 'delete', target.name]);
}

/** Namespaces of the lab's fabric (hosts' and routers'), by file, whatever lab.json says. */
export function attachmentsOf(core: IsolatedNetwork): IsolatedNetwork[] {
  if (!existsSync('/run/netns')) return [];
  const prefix = `${core.name}-`;
  return readdirSync('/run/netns')
    .filter((name) => name.startsWith(prefix))
    .map((name) => ({ name, file: `/run/netns/${name}` }));
}
