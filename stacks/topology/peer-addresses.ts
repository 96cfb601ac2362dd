import type { BgpPeerSpec, EnvironmentSpec } from '../environment/schema.ts';
import { ipv4ToInt, parseNetwork, withoutAddresses, type Ipv4Range } from '../environment/net.ts';
import { CONTROL_PLANE_BLOCK, CONTROL_PLANE_POOL, addressOf, asNumberOf, nodeSlots } from './topology.ts';

// The addresses a router must accept BGP sessions from so that no capacity change needs a change
// on it: every address herd can give a node that peers with it, at any count, grouped by the AS
// those nodes are in (a router configures its remote AS per group of neighbors).

/** A worker pool by its position in workerPools, or the control plane. */
export type PoolRef = number | 'controlPlane';

export interface PeerAddressGroup {
  readonly asNumber: number;
  readonly ranges: readonly Ipv4Range[];
  /** Where the addresses come from, in the environment file's words, for the rendered file's header. */
  readonly sources: readonly string[];
}

/** The pools whose nodes a peer's selection takes in, at any count; null when it names nodes (route reflectors). */
export function poolsPeeringWith(spec: EnvironmentSpec, peer: BgpPeerSpec): PoolRef[] | null {
  if (peer.nodes === 'routeReflectors') return null;
  const all: PoolRef[] = ['controlPlane', ...spec.workerPools.map((_, i) => i)];
  if (peer.nodes === 'all') return all;
  const racks = new Set(peer.nodes.racks);
  return all.filter((pool) => {
    const rack = poolRack(spec, pool);
    return rack !== undefined && racks.has(rack);
  });
}

export function poolName(spec: EnvironmentSpec, pool: PoolRef): string {
  return pool === 'controlPlane' ? CONTROL_PLANE_POOL : spec.workerPools[pool]!.name;
}

function poolRack(spec: EnvironmentSpec, pool: PoolRef): string | undefined {
  return pool === 'controlPlane' ? spec.controlPlane.rack : spec.workerPools[pool]!.rack;
}

/** The pool and 1-based index a node name stands for (`<env>-<pool>-<index>`), whether or not the count reaches it today. */
export function slotOfName(env: string, spec: EnvironmentSpec, name: string): { pool: PoolRef; index: number } | undefined {
  const match = /^(.+)-([1-9][0-9]*)$/.exec(name);
  if (match === null || !match[1]!.startsWith(`${env}-`)) return undefined;
  const pool = match[1]!.slice(env.length + 1);
  const index = Number(match[2]);
  if (pool === CONTROL_PLANE_POOL) return index <= CONTROL_PLANE_BLOCK ? { pool: 'controlPlane', index } : undefined;
  const i = spec.workerPools.findIndex((p) => p.name === pool);
  return i < 0 ? undefined : { pool: i, index };
}

const single = (address: string): Ipv4Range => ({ first: ipv4ToInt(address), last: ipv4ToInt(address) });

/**
 * Every address herd can give a node of the pool at any count without another edit of the file:
 * on vSphere the pool's block of the allocation range (the control plane's 5, a worker pool's
 * poolSize) and the pinned addresses of its nodes; with static hosts, the addresses of the hosts
 * named for the pool, spares included.
 */
export function poolAddresses(env: string, spec: EnvironmentSpec, pool: PoolRef): Ipv4Range[] {
  const ofPool = (name: string) => slotOfName(env, spec, name)?.pool === pool;
  if (spec.infrastructure.type === 'static') return spec.infrastructure.hosts.filter((h) => ofPool(h.name)).map((h) => single(h.address));
  const pinned = Object.entries(spec.network.addresses).filter(([name]) => ofPool(name)).map(([, address]) => single(address));
  const allocation = spec.network.allocation;
  if (allocation === undefined) return pinned;
  const start = ipv4ToInt(allocation.start);
  const [offset, size] = pool === 'controlPlane' ? [0, CONTROL_PLANE_BLOCK] : [CONTROL_PLANE_BLOCK + pool * allocation.poolSize, allocation.poolSize];
  return [{ first: start + offset, last: Math.min(start + offset + size - 1, ipv4ToInt(allocation.end)) }, ...pinned];
}

/** Addresses validation never lets a node have: the node network's own, the gateway, the API endpoint, the external peers. */
function addressesNoNodeHas(spec: EnvironmentSpec): number[] {
  const net = parseNetwork(spec.network.cidr);
  const endpoint = spec.controlPlane.endpoint;
  return [
    ...(net.prefix < 31 ? [net.first, net.last] : []),
    ipv4ToInt(spec.network.gateway),
    ...(endpoint.type === 'firstNode' ? [] : [ipv4ToInt(endpoint.address)]),
    ...spec.calico.bgp.peers.map((p) => ipv4ToInt(p.address)),
  ];
}

function poolAsNumber(spec: EnvironmentSpec, pool: PoolRef): number {
  return asNumberOf({ rack: poolRack(spec, pool) }, spec);
}

/**
 * The addresses the peer's router must accept, one group per AS, in AS order. A peer of the route
 * reflectors takes exactly the reflectors' addresses: they are named nodes, so capacity never adds one.
 */
export function peerAddressGroups(env: string, spec: EnvironmentSpec, peer: BgpPeerSpec): PeerAddressGroup[] {
  const excluded = addressesNoNodeHas(spec);
  const byAs = new Map<number, { ranges: Ipv4Range[]; sources: string[] }>();
  const add = (asNumber: number, ranges: Ipv4Range[], source: string) => {
    const group = byAs.get(asNumber) ?? { ranges: [], sources: [] };
    group.ranges.push(...ranges);
    group.sources.push(source);
    byAs.set(asNumber, group);
  };
  const pools = poolsPeeringWith(spec, peer);
  if (pools === null) {
    const reflectors = new Set(spec.calico.bgp.routeReflectors?.nodes ?? []);
    for (const slot of nodeSlots(env, spec).filter((s) => reflectors.has(s.name))) {
      const address = addressOf(slot, spec);
      if (address !== undefined) add(asNumberOf(slot, spec), [single(address)], slot.name);
    }
  } else {
    for (const pool of pools) {
      const where = pool === 'controlPlane' ? 'controlPlane' : `workerPools ${poolName(spec, pool)}`;
      add(poolAsNumber(spec, pool), poolAddresses(env, spec, pool), where);
    }
  }
  return [...byAs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([asNumber, { ranges, sources }]) => ({ asNumber, ranges: withoutAddresses(ranges, excluded), sources }));
}

/**
 * Dynamic neighbors wherever the peer can take them. For BIG-IP's imish (ZebOS) F5 documents only
 * neighbors by address, one peer group per AS (https://clouddocs.f5.com/service-proxy/latest/spk-bgp-overview.html,
 * https://clouddocs.f5.com/cnfs/openshift/latest/cnf-tor-bgp.html: "BGP peer-groups support only
 * a one AS number"), and no F5 document of `bgp listen range` turned up: a load balancer gets static ones.
 */
export function neighborsForm(peer: BgpPeerSpec): 'dynamic' | 'static' {
  return peer.neighbors ?? (peer.kind === 'loadBalancer' ? 'static' : 'dynamic');
}
