import type { EnvironmentSpec } from './schema.ts';
import { contains, ipv4ToInt, isReservedInNetwork, parseNetwork } from './net.ts';
import { versionIssues } from '../versions/environment-rules.ts';
import { controlPlaneAntiAffinity } from './anti-affinity.ts';
import { rangeCollisions, singleCollisions } from './addresses.ts';
import { networkSizeIssues } from './network-sizes.ts';
import { Unparsed } from './partial.ts';
import { bgpTopologyIssues } from './bgp-topology.ts';
import { CONTROL_PLANE_BLOCK, CONTROL_PLANE_POOL, addressOf, nodeSlots } from '../topology/topology.ts';

export interface CheckIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

type Check = (env: string, spec: EnvironmentSpec) => CheckIssue[];

/**
 * Rules that relate fields to each other; each check returns every problem it finds so the operator
 * sees them all at once. When the schema rejected part of the file (`partial`), a check that reads a
 * rejected value reports nothing (see partial.ts), and so does one that trips over what did not parse.
 */
export function crossFieldIssues(env: string, spec: EnvironmentSpec, partial = false): CheckIssue[] {
  return CHECKS.flatMap((check) => {
    try {
      return check(env, spec);
    } catch (err) {
      if (err instanceof Unparsed || partial) return [];
      throw err;
    }
  });
}

const gateway: Check = (_env, spec) => {
  const net = parseNetwork(spec.network.cidr);
  const g = spec.network.gateway;
  if (!contains(net, g)) return [{ path: ['network', 'gateway'], message: `${g} is outside the node network ${net.cidr}` }];
  if (isReservedInNetwork(net, g)) return [{ path: ['network', 'gateway'], message: `${g} is the network or broadcast address of ${net.cidr}` }];
  return [];
};

const names: Check = (env, spec) => {
  const issues: CheckIssue[] = [];
  const seen = new Map<string, number>();
  spec.workerPools.forEach((pool, i) => {
    if (pool.name === CONTROL_PLANE_POOL) {
      issues.push({ path: ['workerPools', i, 'name'], message: `"${CONTROL_PLANE_POOL}" names the control plane's nodes; choose another pool name` });
    }
    const first = seen.get(pool.name);
    if (first !== undefined) issues.push({ path: ['workerPools', i, 'name'], message: `pool name "${pool.name}" is already used by workerPools[${first}]` });
    else seen.set(pool.name, i);
    const longest = `${env}-${pool.name}-${pool.count}`;
    if (longest.length > 63) {
      issues.push({ path: ['workerPools', i, 'name'], message: `node names such as ${longest} exceed 63 characters; shorten the environment or pool name` });
    }
  });
  return issues;
};

const allocation: Check = (_env, spec) => {
  const range = spec.network.allocation;
  if (spec.infrastructure.type === 'static') {
    return Object.keys(spec.network.addresses).length > 0
      ? [{ path: ['network', 'addresses'], message: 'static hosts bring their own addresses (infrastructure.hosts); remove network.addresses' }]
      : [];
  }
  if (range === undefined) {
    return [{ path: ['network', 'allocation'], message: 'vSphere environments need an allocation range { start, end } for node addresses' }];
  }
  const net = parseNetwork(spec.network.cidr);
  const issues: CheckIssue[] = [];
  for (const key of ['start', 'end'] as const) {
    if (!contains(net, range[key])) issues.push({ path: ['network', 'allocation', key], message: `${range[key]} is outside the node network ${net.cidr}` });
  }
  const size = ipv4ToInt(range.end) - ipv4ToInt(range.start) + 1;
  if (size < 1) return [...issues, { path: ['network', 'allocation', 'end'], message: `the range ends (${range.end}) before it starts (${range.start})` }];
  for (const key of ['start', 'end'] as const) {
    if (contains(net, range[key]) && isReservedInNetwork(net, range[key])) {
      issues.push({ path: ['network', 'allocation', key], message: `${range[key]} is the network or broadcast address of ${net.cidr}, which no node can have` });
    }
  }
  const needed = CONTROL_PLANE_BLOCK + spec.workerPools.length * range.poolSize;
  if (size < needed) {
    issues.push({
      path: ['network', 'allocation'],
      message: `the range holds ${size} addresses but needs ${needed}: ${CONTROL_PLANE_BLOCK} for the control plane and poolSize ${range.poolSize} for each of ${spec.workerPools.length} worker pools`,
    });
  }
  spec.workerPools.forEach((pool, i) => {
    if (pool.count > range.poolSize) {
      issues.push({ path: ['workerPools', i, 'count'], message: `${pool.count} nodes do not fit the ${range.poolSize} addresses each pool is given (network.allocation.poolSize)` });
    }
  });
  return issues;
};

const staticHosts: Check = (env, spec) => {
  if (spec.infrastructure.type !== 'static') return [];
  const hosts = spec.infrastructure.hosts;
  const issues: CheckIssue[] = [];
  const names = new Set<string>();
  hosts.forEach((h, i) => {
    if (names.has(h.name)) issues.push({ path: ['infrastructure', 'hosts', i, 'name'], message: `host "${h.name}" is listed twice` });
    names.add(h.name);
  });
  for (const slot of nodeSlots(env, spec)) {
    if (!names.has(slot.name)) {
      const where = slot.role === 'controlPlane' ? 'controlPlane.count' : `workerPools[${slot.poolIndex}].count`;
      issues.push({ path: ['infrastructure', 'hosts'], message: `no host named "${slot.name}", which ${where} asks for; add it or lower the count` });
    }
  }
  return issues;
};

/** Node addresses stay clear of pod and service networks because those must be disjoint from the node network; collisions are addresses.ts's. */
const nodeAddresses: Check = (env, spec) => {
  const net = parseNetwork(spec.network.cidr);
  const slots = nodeSlots(env, spec);
  const known = new Set(slots.map((s) => s.name));
  const issues: CheckIssue[] = Object.keys(spec.network.addresses)
    .filter((name) => !known.has(name))
    .map((name) => ({ path: ['network', 'addresses', name], message: `no node is named "${name}"; nodes are named like ${slots[0]?.name ?? `${env}-cp-1`}` }));
  for (const slot of slots) {
    const address = addressOf(slot, spec);
    // Allocated addresses lie in the range, whose ends are checked against the network by `allocation`.
    if (address === undefined || (spec.infrastructure.type === 'vsphere' && spec.network.addresses[slot.name] === undefined)) continue;
    const path = addressPath(slot.name, spec);
    if (!contains(net, address)) issues.push({ path, message: `${slot.name}'s address ${address} is outside the node network ${net.cidr}` });
    else if (isReservedInNetwork(net, address)) issues.push({ path, message: `${slot.name}'s address ${address} is the network or broadcast address of ${net.cidr}` });
  }
  return issues;
};

function addressPath(name: string, spec: EnvironmentSpec): PropertyKey[] {
  if (spec.infrastructure.type === 'static') {
    return ['infrastructure', 'hosts', spec.infrastructure.hosts.findIndex((h) => h.name === name), 'address'];
  }
  return ['network', 'addresses', name];
}

const apiEndpoint: Check = (env, spec) => {
  const endpoint = spec.controlPlane.endpoint;
  if (endpoint.type === 'firstNode') {
    return spec.controlPlane.count > 1
      ? [{ path: ['controlPlane', 'endpoint', 'type'], message: 'firstNode gives no failover; with more than one control plane use loadBalancer or kubeVip' }]
      : [];
  }
  if (endpoint.type !== 'kubeVip') return [];
  // kube-vip answers ARP for its address on the nodes' own segment.
  const net = parseNetwork(spec.network.cidr);
  if (!contains(net, endpoint.address)) return [{ path: ['controlPlane', 'endpoint', 'address'], message: `a kube-vip address must be in the node network ${spec.network.cidr}` }];
  if (isReservedInNetwork(net, endpoint.address)) return [{ path: ['controlPlane', 'endpoint', 'address'], message: `${endpoint.address} is the network or broadcast address of ${net.cidr}` }];
  return [];
};

const ipPools: Check = (_env, spec) => {
  const issues: CheckIssue[] = [];
  const seen = new Set<string>();
  (spec.calico.ipPools ?? []).forEach((pool, i) => {
    if (seen.has(pool.name)) issues.push({ path: ['calico', 'ipPools', i, 'name'], message: `IP pool name "${pool.name}" is used twice` });
    seen.add(pool.name);
  });
  return issues;
};

function racksInUse(spec: EnvironmentSpec): Set<string> {
  const racks = [spec.controlPlane.rack, ...spec.workerPools.map((p) => p.rack)];
  return new Set(racks.filter((r): r is string => r !== undefined));
}

const bgp: Check = (env, spec) => {
  const b = spec.calico.bgp;
  const issues: CheckIssue[] = [];
  const racks = racksInUse(spec);
  const slots = nodeSlots(env, spec);
  const filters = new Set(b.filters.map((f) => f.name));
  const peerNames = new Set<string>();

  if (Object.keys(b.rackAsNumbers).length > 0) {
    for (const rack of racks) {
      if (b.rackAsNumbers[rack] === undefined) issues.push({ path: ['calico', 'bgp', 'rackAsNumbers'], message: `rack "${rack}" has nodes but no AS number; give every rack one` });
    }
    for (const rack of Object.keys(b.rackAsNumbers)) {
      if (!racks.has(rack)) issues.push({ path: ['calico', 'bgp', 'rackAsNumbers', rack], message: `no node is in rack "${rack}"; racks in use: ${[...racks].join(', ') || 'none'}` });
    }
  }
  b.peers.forEach((peer, i) => {
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['calico', 'bgp', 'peers', i, ...rest];
    if (peerNames.has(peer.name)) issues.push({ path: at('name'), message: `peer name "${peer.name}" is used twice` });
    peerNames.add(peer.name);
    if (typeof peer.nodes === 'object') {
      peer.nodes.racks.forEach((rack, j) => {
        if (!racks.has(rack)) issues.push({ path: at('nodes', 'racks', j), message: `no node is in rack "${rack}"; racks in use: ${[...racks].join(', ') || 'none'}` });
      });
    }
    if (peer.nodes === 'routeReflectors' && b.routeReflectors === undefined) {
      issues.push({ path: at('nodes'), message: 'routeReflectors needs calico.bgp.routeReflectors' });
    }
    peer.filters.forEach((f, j) => {
      if (!filters.has(f)) issues.push({ path: at('filters', j), message: `no filter named "${f}" in calico.bgp.filters` });
    });
  });
  const rr = b.routeReflectors;
  if (rr !== undefined) {
    const known = new Set(slots.map((s) => s.name));
    rr.nodes.forEach((n, j) => {
      if (!known.has(n)) issues.push({ path: ['calico', 'bgp', 'routeReflectors', 'nodes', j], message: `no node is named "${n}"` });
    });
  }
  if (!b.nodeToNodeMesh && rr === undefined && b.peers.length === 0) {
    issues.push({ path: ['calico', 'bgp', 'nodeToNodeMesh'], message: 'with the node-to-node mesh off, nodes need route reflectors or external peers to learn pod routes' });
  }
  return issues;
};

/** What a new VM needs to be reachable over SSH, by the way it is bootstrapped. */
const guestBootstrap: Check = (_env, spec) => {
  const infra = spec.infrastructure;
  if (infra.type !== 'vsphere') return [];
  const keys = spec.ssh.authorizedKeys;
  if (infra.guestBootstrap === 'cloudInit') {
    return keys.length === 0
      ? [{ path: ['ssh', 'authorizedKeys'], message: `cloud-init creates ${spec.ssh.user} on each new VM and needs at least one public key to let herd in; add the .pub line of the key herd uses` }]
      : [];
  }
  const issues: CheckIssue[] = [];
  if (keys.length > 0) {
    issues.push({ path: ['ssh', 'authorizedKeys'], message: 'VMware guest customization cannot install SSH keys: the template must already accept ssh.user; remove authorizedKeys or use guestBootstrap: cloudInit' });
  }
  if (spec.network.searchDomains.length === 0) {
    issues.push({ path: ['network', 'searchDomains'], message: 'VMware guest customization needs a domain for each VM; give at least one search domain (the first is used)' });
  }
  return issues;
};

/** DRS rules belong to a compute cluster; a resource pool alone does not name one. */
const antiAffinity: Check = (_env, spec) => {
  const infra = spec.infrastructure;
  if (infra.type !== 'vsphere' || infra.computeCluster !== undefined) return [];
  const issues: CheckIssue[] = [];
  if (controlPlaneAntiAffinity(spec)) {
    issues.push({ path: ['controlPlane', 'antiAffinity'], message: 'DRS anti-affinity needs infrastructure.computeCluster (the cluster of the resource pool); add it, or set controlPlane.antiAffinity: false' });
  }
  spec.workerPools.forEach((pool, i) => {
    if (pool.antiAffinity) issues.push({ path: ['workerPools', i, 'antiAffinity'], message: 'DRS anti-affinity needs infrastructure.computeCluster (the cluster of the resource pool)' });
  });
  return issues;
};

const CHECKS: readonly Check[] = [
  (_env, spec) => versionIssues(spec),
  networkSizeIssues,
  gateway,
  names,
  allocation,
  staticHosts,
  nodeAddresses,
  apiEndpoint,
  singleCollisions,
  rangeCollisions,
  ipPools,
  bgp,
  bgpTopologyIssues,
  guestBootstrap,
  antiAffinity,
];

