import type { EnvironmentSpec } from './schema.ts';
import { ipv4ToInt, overlaps, parseNetwork, type Ipv4Network } from './net.ts';
import { readable, readableEach } from './partial.ts';
import { CONTROL_PLANE_BLOCK, CONTROL_PLANE_POOL, addressOf, nodeName, nodeSlots, type NodeSlot } from '../topology/topology.ts';

// Every address herd places or is given, checked against every other where a collision would
// break the cluster: a node's address against the other nodes', the gateway, the DNS servers and
// the API endpoint; each address herd would hand a node when its pool grows within its block
// against the same; BGP peers against nodes, the kube-vip address and each other; the node, pod
// and service networks, Calico's pools and the service ranges the routers learn against each
// other and against the single addresses outside the node network they would swallow.
// Each mistake is reported once, at the entry the operator wrote last in the order of ROLE_ORDER.

export interface AddressIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

/** One single address of the plan; `owner` names it in messages ("the gateway", "prod-cp-1"). */
interface Claim {
  readonly role: Role;
  readonly path: PropertyKey[];
  readonly owner: string;
  readonly first: number;
  readonly text: string;
}

type Role = 'gateway' | 'dns' | 'node' | 'endpoint' | 'peer';

/** Which of two claims at one address carries the issue: the later role in this order. */
const ROLE_ORDER: readonly Role[] = ['gateway', 'dns', 'node', 'endpoint', 'peer'];

/** A block of the allocation range: the control plane's 5 addresses, or one pool's poolSize. */
interface Block {
  readonly first: number;
  readonly last: number;
  /** The pool's current node count: offsets below it are today's nodes, the rest are future ones. */
  readonly count: number;
  readonly futureNode: (offset: number) => string;
}

function single(role: Role, path: PropertyKey[], owner: string, address: string): Claim {
  return { role, path, owner, first: ipv4ToInt(address), text: address };
}

function ownerOf(claim: Claim): string {
  return claim.role === 'node' ? `${claim.owner}'s address` : claim.owner;
}

function nodeClaims(spec: EnvironmentSpec, slots: readonly NodeSlot[]): (Claim | undefined)[] {
  if (spec.infrastructure.type === 'static') {
    // Spare hosts count too: raising a count gives them a node.
    const hosts = spec.infrastructure.hosts;
    return readableEach(hosts, (i) => single('node', ['infrastructure', 'hosts', i, 'address'], hosts[i]!.name, hosts[i]!.address));
  }
  return slots.map((slot) =>
    readable(() => {
      const address = addressOf(slot, spec);
      if (address === undefined) return undefined;
      const pinned = spec.network.addresses[slot.name] !== undefined;
      return single('node', pinned ? ['network', 'addresses', slot.name] : ['network', 'allocation'], slot.name, address);
    }),
  );
}

function blocks(env: string, spec: EnvironmentSpec): Block[] {
  const range = spec.network.allocation;
  if (spec.infrastructure.type === 'static' || range === undefined) return [];
  const start = ipv4ToInt(range.start);
  const end = ipv4ToInt(range.end);
  const clip = (first: number, size: number): { first: number; last: number } => ({ first, last: Math.min(first + size - 1, end) });
  const out: Block[] = [
    { ...clip(start, CONTROL_PLANE_BLOCK), count: spec.controlPlane.count, futureNode: (k) => `${nodeName(env, CONTROL_PLANE_POOL, k + 1)} (controlPlane.count ${k + 1})` },
  ];
  spec.workerPools.forEach((pool, i) => {
    out.push({
      ...clip(start + CONTROL_PLANE_BLOCK + i * range.poolSize, range.poolSize),
      count: pool.count,
      futureNode: (k) => `${nodeName(env, pool.name, k + 1)} (workerPools[${i}].count ${k + 1})`,
    });
  });
  return out.filter((b) => b.first <= b.last);
}

/** The future node an address would go to when its pool grows, or undefined. */
function futureOwner(grown: readonly Block[], n: number): string | undefined {
  const b = grown.find((x) => n >= x.first && n <= x.last);
  if (b === undefined) return undefined;
  const offset = n - b.first;
  return offset >= b.count ? b.futureNode(offset) : undefined;
}

/**
 * May these two share an address? A router is often the gateway or a DNS server too, and a load
 * balancer's virtual server may sit on the address it speaks BGP from; kube-vip's address is a node's.
 */
function mayShare(a: Role, b: Role, endpointType: string): boolean {
  const pair = new Set([a, b]);
  if (pair.size === 1) return a === 'dns';
  if (pair.has('peer')) return pair.has('gateway') || pair.has('dns') || (pair.has('endpoint') && endpointType === 'loadBalancer');
  return pair.has('gateway') && pair.has('dns');
}

function sameAddressMessage(claim: Claim, other: Claim): string {
  switch (claim.role) {
    case 'node':
      if (claim.path[1] === 'allocation') return `${claim.owner} would get ${claim.text} from network.allocation, which is ${ownerOf(other)}; start the range after it or end it before`;
      return other.role === 'node' ? `${claim.owner}'s address ${claim.text} is already ${other.owner}'s` : `${claim.owner}'s address ${claim.text} is ${ownerOf(other)}`;
    case 'endpoint':
      return `${claim.text} is ${ownerOf(other)}; the endpoint needs an address of its own`;
    case 'peer':
      if (other.role === 'peer') return `${claim.text} is already ${other.owner}'s address; one router is one peer: list every rack it serves in that peer's nodes.racks`;
      return `${claim.text} is ${other.role === 'node' ? 'node ' : ''}${ownerOf(other)}; a BGP peer is a router or load balancer outside the cluster`;
    default:
      return `${claim.text} is already ${ownerOf(other)}`;
  }
}

/** Single addresses: equal ones, and ones herd would hand to a future node when its pool grows. */
export function singleCollisions(env: string, spec: EnvironmentSpec): AddressIssue[] {
  const endpoint = spec.controlPlane.endpoint;
  // An entry the schema rejected is left out; the others are still checked against each other.
  const claims = [
    readable(() => single('gateway', ['network', 'gateway'], 'the gateway', spec.network.gateway)),
    ...readableEach(spec.network.dnsServers, (i) => single('dns', ['network', 'dnsServers', i], `DNS server network.dnsServers[${i}]`, spec.network.dnsServers[i]!)),
    ...nodeClaims(spec, nodeSlots(env, spec)),
    readable(() => (endpoint.type === 'firstNode' ? undefined : single('endpoint', ['controlPlane', 'endpoint', 'address'], `the API endpoint's address (${endpoint.type})`, endpoint.address))),
    ...readableEach(spec.calico.bgp.peers, (i) => {
      const peer = spec.calico.bgp.peers[i]!;
      return single('peer', ['calico', 'bgp', 'peers', i, 'address'], `BGP peer ${peer.name} (calico.bgp.peers[${i}])`, peer.address);
    }),
  ].filter((c): c is Claim => c !== undefined);

  const issues: AddressIssue[] = [];
  const byAddress = new Map<number, Claim[]>();
  const reported = new Set<Claim>();
  for (const claim of [...claims].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role))) {
    const before = byAddress.get(claim.first) ?? [];
    const other = before.find((o) => !mayShare(o.role, claim.role, endpoint.type));
    if (other !== undefined) {
      issues.push({ path: claim.path, message: sameAddressMessage(claim, other) });
      reported.add(claim);
    }
    byAddress.set(claim.first, [...before, claim]);
  }

  const grown = blocks(env, spec);
  const rangeMessages = new Set<string>();
  for (const claim of claims) {
    const owner = reported.has(claim) ? undefined : futureOwner(grown, claim.first);
    if (owner === undefined) continue;
    const message = `${claim.text} (${ownerOf(claim)}) is among the addresses network.allocation hands to nodes: ${owner} would get it`;
    if (claim.role !== 'gateway' && claim.role !== 'dns') issues.push({ path: claim.path, message: `${message}; choose an address outside network.allocation` });
    else if (!rangeMessages.has(message)) {
      // The gateway and DNS servers are the network's; the range is what has to move.
      rangeMessages.add(message);
      issues.push({ path: ['network', 'allocation'], message: `${message}; start the range after it or end it before` });
    }
  }
  return issues;
}

interface RangeClaim {
  readonly path: PropertyKey[];
  readonly what: string;
  readonly net: Ipv4Network;
}

/** Networks and ranges: the node, pod and service networks, Calico's pools and what the routers learn. */
export function rangeCollisions(_env: string, spec: EnvironmentSpec): AddressIssue[] {
  const issues: AddressIssue[] = [];
  const network = (path: PropertyKey[], what: string, cidr: () => string): RangeClaim | undefined => readable(() => ({ path, what, net: parseNetwork(cidr()) }));
  const present = (claims: (RangeClaim | undefined)[]): RangeClaim[] => claims.filter((c): c is RangeClaim => c !== undefined);
  const fixed = present([
    network(['network', 'cidr'], 'network.cidr', () => spec.network.cidr),
    network(['kubernetes', 'podCidr'], 'kubernetes.podCidr', () => spec.kubernetes.podCidr),
    network(['kubernetes', 'serviceCidr'], 'kubernetes.serviceCidr', () => spec.kubernetes.serviceCidr),
  ]);
  for (let i = 0; i < fixed.length; i++) {
    for (let j = i + 1; j < fixed.length; j++) {
      const a = fixed[i]!;
      const b = fixed[j]!;
      if (overlaps(a.net, b.net)) issues.push({ path: b.path, message: `${b.net.cidr} overlaps ${a.what} (${a.net.cidr}); node, pod and service networks must be disjoint` });
    }
  }

  // Calico refuses a pool that overlaps another (IPPool validation).
  const ipPools = spec.calico.ipPools ?? [];
  const pools = present(readableEach(ipPools, (i) => ({ path: ['calico', 'ipPools', i, 'cidr'], what: `calico.ipPools[${i}] (${ipPools[i]!.name})`, net: parseNetwork(ipPools[i]!.cidr) })));
  pools.forEach((pool, j) => {
    const earlier = pools.slice(0, j).find((p) => overlaps(p.net, pool.net));
    if (earlier !== undefined) issues.push({ path: pool.path, message: `${pool.net.cidr} overlaps ${earlier.what} (${earlier.net.cidr}); Calico refuses overlapping IP pools` });
  });

  // Service ranges the nodes advertise: the routers send those addresses to the cluster.
  const advertise = spec.calico.bgp.advertise;
  const advertisedList = (key: 'serviceExternalIps' | 'serviceLoadBalancerIps'): (RangeClaim | undefined)[] =>
    readableEach(advertise[key], (i) => ({ path: ['calico', 'bgp', 'advertise', key, i], what: `calico.bgp.advertise.${key}[${i}]`, net: parseNetwork(advertise[key][i]!) }));
  const advertised = present([...advertisedList('serviceExternalIps'), ...advertisedList('serviceLoadBalancerIps')]);
  const singles = readable(() => outsideAddresses(spec)) ?? [];
  advertised.forEach((range, j) => {
    const other = [...fixed, ...advertised.slice(0, j)].find((o) => overlaps(o.net, range.net));
    if (other !== undefined) {
      issues.push({ path: range.path, message: `${range.net.cidr} overlaps ${other.what} (${other.net.cidr}); the routers would send those addresses to the cluster's services` });
      return;
    }
    const swallowed = singles.find((s) => s.first >= range.net.first && s.first <= range.net.last);
    if (swallowed !== undefined) issues.push({ path: range.path, message: `${range.net.cidr} holds ${swallowed.text} (${ownerOf(swallowed)}); the routers would send its traffic to the cluster's services` });
  });

  // An address outside the node network that the pod or service network holds cannot be reached from a pod.
  for (const s of singles) {
    const inside = fixed.filter((r) => r.path[0] === 'kubernetes').find((r) => s.first >= r.net.first && s.first <= r.net.last);
    if (inside !== undefined) issues.push({ path: s.path, message: `${s.text} is inside ${inside.what} (${inside.net.cidr}); the cluster routes those addresses to its own pods and services, so ${ownerOf(s)} would be unreachable` });
  }
  return issues;
}

/** The DNS servers, API endpoint and peers that lie outside the node network (inside it, the node network's own rules hold). */
function outsideAddresses(spec: EnvironmentSpec): Claim[] {
  const net = parseNetwork(spec.network.cidr);
  const endpoint = spec.controlPlane.endpoint;
  const dns = spec.network.dnsServers;
  const peers = spec.calico.bgp.peers;
  const claims = [
    ...readableEach(dns, (i) => single('dns', ['network', 'dnsServers', i], `DNS server network.dnsServers[${i}]`, dns[i]!)),
    readable(() => (endpoint.type === 'firstNode' ? undefined : single('endpoint', ['controlPlane', 'endpoint', 'address'], 'the API endpoint', endpoint.address))),
    ...readableEach(peers, (i) => single('peer', ['calico', 'bgp', 'peers', i, 'address'], `BGP peer ${peers[i]!.name}`, peers[i]!.address)),
  ].filter((c): c is Claim => c !== undefined);
  return claims.filter((c) => c.first < net.first || c.first > net.last);
}



