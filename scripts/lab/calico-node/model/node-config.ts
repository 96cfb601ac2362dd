import { createHash } from 'node:crypto';
import type { CalicoDatastore } from '../resources.ts';
import type { IpFamily } from './addresses.ts';
import { bgpSettings, type BgpSettings, type CommunityRule, type SecretRef } from './bgp-configuration.ts';
import { filterFunction, filterFunctions, type FilterFunction } from './bgp-filters.ts';
import { nodeBlocks, type AffineBlock } from './ipam.ts';
import { poolFilters, type PoolFilters } from './ip-pools.ts';
import { clusterNodes, type NodeBgp } from './nodes.ts';
import { computePeerings, peeringKey, type Peering } from './peerings.ts';
import { serviceRoutes, type ServiceRoutes } from './service-routes.ts';

// What confd's Calico backend computes for one node and one IP family before any template runs
// (bgp_processor.go, GetBirdBGPConfig): the node's identity, its BGP peers with everything BIRD
// needs about each, and the routes and filters bird_aggr.cfg and bird_ipam.cfg are made of.

export type ReadSecret = (ref: SecretRef) => string | undefined;

export interface NodeConfigOptions {
  /** Who may read BGP passwords: undefined means calico-node cannot read that Secret. */
  readonly readSecret: ReadSecret;
  /** calico-node's CALICO_ROUTER_ID: an IPv4 address, "hash", or unset (the node's IPv4 address). */
  readonly routerId?: string | undefined;
}

export type PeerType = 'mesh' | 'global' | 'node' | 'local_workload';

export interface FilterCall {
  readonly symbol: string;
  /** The function distinguishes iBGP from eBGP peers and is passed this peering's flag. */
  readonly takesPeerType: boolean;
}

export interface BirdPeer {
  /** The BIRD protocol name: Mesh_/Global_/Node_/Local_Workload_ and the address. */
  readonly name: string;
  readonly type: PeerType;
  readonly ip: string;
  readonly port: number;
  readonly asNumber: string;
  readonly localAsNumber: string;
  /** The address BIRD connects from; "" lets the kernel choose. */
  readonly sourceAddress: string;
  /** TTL security hop count (0: off); mesh peerings have none. */
  readonly ttlSecurity: number;
  readonly importFilters: readonly FilterCall[];
  readonly exportFilters: readonly FilterCall[];
  /** The peer is in this node's AS (iBGP), as calico_export_to_bgp_peers() is told. */
  readonly sameAs: boolean;
  readonly password: string | undefined;
  /** This node reflects routes to the peer, with this cluster ID ("" when not a client). */
  readonly routeReflectorClusterId: string;
  readonly passive: boolean;
  readonly gracefulRestartTime: string;
  readonly keepaliveTime: string;
  readonly nextHopSelf: boolean;
  readonly nextHopKeep: boolean;
  readonly allowLocalAs: number;
}

/** A static route to a peer that is only reachable through a gateway (BGPPeer reachableBy). */
export interface PeerRoute {
  readonly ip: string;
  readonly via: string;
}

export interface NodeBirdConfig {
  readonly nodeName: string;
  readonly family: IpFamily;
  /** The node's address in this family; "" when the node has none (this family is disabled). */
  readonly nodeIp: string;
  readonly asNumber: string;
  readonly routerId: string;
  /** BIRD's debug setting for the node's protocols: "all", "{ states }", or "" for none. */
  readonly debug: string;
  readonly listenAddress: string;
  readonly listenPort: number | undefined;
  readonly ignoredInterfaces: readonly string[];
  readonly communities: readonly CommunityRule[];
  readonly filters: ReadonlyArray<{ readonly filter: string; readonly functions: readonly FilterFunction[] }>;
  /** In protocol-name order. */
  readonly peers: readonly BirdPeer[];
  readonly blocks: readonly AffineBlock[];
  readonly serviceRoutes: ServiceRoutes;
  readonly globalPeerRoutes: readonly PeerRoute[];
  readonly nodePeerRoutes: readonly PeerRoute[];
  readonly pools: PoolFilters;
  /** The kernel metric of a normal route (BGPConfiguration ipv4NormalRoutePriority). */
  readonly normalRoutePriority: number;
}

/** calico-node's router ID from the node name (CALICO_ROUTER_ID=hash). */
export function hashToIPv4(nodeName: string): string {
  const [a, b, c, d] = createHash('sha256').update(nodeName).digest();
  // BGP does not allow router IDs in the multicast and reserved ranges.
  return [a! > 223 ? a! - 32 : a!, b!, c!, d!].join('.');
}

function debugOf(settings: BgpSettings, node: string): string {
  const level = settings.logLevel(node);
  return level === 'none' ? '' : level === 'debug' ? 'all' : '{ states }';
}

function nameOf(prefix: string, ip: string, port: number): string {
  return `${prefix}_${ip.replace(/[.:]/g, '_')}${port > 0 ? `_port_${port}` : ''}`;
}

function filterCalls(datastore: CalicoDatastore, names: readonly string[], direction: 'import' | 'export', family: IpFamily): FilterCall[] {
  return names.flatMap((name) => {
    const filter = datastore.bgpFilters.find((f) => f.metadata.name === name);
    const fn = filter ? filterFunction(filter, direction, family) : undefined;
    return fn ? [{ symbol: fn.symbol, takesPeerType: fn.takesPeerType }] : [];
  });
}

const PREFIX: Record<Exclude<PeerType, 'mesh'>, string> = { global: 'Global', node: 'Node', local_workload: 'Local_Workload' };

function peerFromPeering(
  datastore: CalicoDatastore,
  peering: Peering,
  type: 'global' | 'node',
  node: { ip: string; asNumber: string; clusterId: string },
  readSecret: ReadSecret,
): BirdPeer | undefined {
  if (peering.ip === node.ip) return undefined;
  const kind: Exclude<PeerType, 'mesh'> = peering.localWorkload ? 'local_workload' : type;
  const effectiveAs = peering.localAsNumber || node.asNumber;
  const sameAs = peering.asNumber === effectiveAs;
  const passive = peering.localWorkload || ((kind === 'global' || kind === 'local_workload') && peering.calicoNode && peering.ip > node.ip);
  const reflects = sameAs && node.clusterId !== '' && peering.rrClusterId !== node.clusterId;
  return {
    name: nameOf(PREFIX[kind], peering.ip, peering.port),
    type: kind,
    ip: peering.ip,
    port: peering.port,
    asNumber: peering.asNumber,
    localAsNumber: peering.localAsNumber,
    sourceAddress: peering.sourceAddress === 'UseNodeIP' ? node.ip : '',
    ttlSecurity: peering.ttlSecurity,
    importFilters: filterCalls(datastore, peering.filters, 'import', peering.family),
    exportFilters: filterCalls(datastore, peering.filters, 'export', peering.family),
    sameAs,
    password: peering.password ? readSecret(peering.password) : undefined,
    routeReflectorClusterId: reflects ? node.clusterId : '',
    passive,
    gracefulRestartTime: peering.restartTime,
    keepaliveTime: peering.keepaliveTime,
    nextHopSelf: peering.nextHopMode === 'Self',
    // keepOriginalNextHop predates nextHopMode and only ever applied to eBGP peers.
    nextHopKeep: peering.nextHopMode === 'Keep' || (peering.keepOriginalNextHop && !sameAs),
    allowLocalAs: peering.numAllowedLocalAs,
  };
}

function meshPeers(nodes: ReadonlyMap<string, NodeBgp>, self: NodeBgp, family: IpFamily, settings: BgpSettings, readSecret: ReadSecret): BirdPeer[] {
  if (self.routeReflectorClusterId !== '' || !settings.nodeToNodeMesh) return [];
  const ownIp = family === 4 ? self.ipv4 : self.ipv6;
  const password = settings.meshPassword ? readSecret(settings.meshPassword) : undefined;
  return [...nodes.values()].flatMap((other) => {
    const ip = family === 4 ? other.ipv4 : other.ipv6;
    if (ip === '' || ip === ownIp || other.routeReflectorClusterId !== '') return [];
    return [
      {
        name: nameOf('Mesh', ip, 0),
        type: 'mesh' as const,
        ip,
        port: settings.listenPort(other.name) ?? 0,
        asNumber: other.asNumber || settings.asNumber,
        localAsNumber: '',
        sourceAddress: ownIp,
        ttlSecurity: 0,
        importFilters: [],
        exportFilters: [],
        sameAs: true,
        password,
        routeReflectorClusterId: '',
        passive: ip > ownIp,
        gracefulRestartTime: settings.meshRestartTime ?? '',
        keepaliveTime: '',
        nextHopSelf: false,
        nextHopKeep: false,
        allowLocalAs: 0,
      },
    ];
  });
}

function peerRoutes(peerings: Iterable<Peering>, family: IpFamily, ownIp: string): PeerRoute[] {
  return [...peerings]
    .filter((p) => p.family === family && p.reachableBy !== '' && p.ip !== ownIp)
    .sort((a, b) => (peeringKey(a) < peeringKey(b) ? -1 : 1))
    .map((p) => ({ ip: p.ip, via: p.reachableBy }));
}

export class UnknownNodeError extends Error {
  override readonly name = 'UnknownNodeError';
}

export function nodeBirdConfig(datastore: CalicoDatastore, nodeName: string, family: IpFamily, options: NodeConfigOptions): NodeBirdConfig {
  const nodes = clusterNodes(datastore);
  const self = nodes.get(nodeName);
  if (!self) {
    throw new UnknownNodeError(`node ${nodeName} is not in the datastore (known nodes: ${[...nodes.keys()].join(', ') || 'none'})`);
  }
  const settings = bgpSettings(datastore);
  const nodeIp = family === 4 ? self.ipv4 : self.ipv6;
  const asNumber = self.asNumber || settings.asNumber;
  const identity = { ip: nodeIp, asNumber, clusterId: self.routeReflectorClusterId };
  const peerings = computePeerings(datastore, nodes, settings);
  const ofFamily = (map: ReadonlyMap<string, Peering> | undefined): Peering[] => [...(map?.values() ?? [])].filter((p) => p.family === family);
  const globalPeerings = ofFamily(peerings.global);
  const nodePeerings = ofFamily(peerings.byNode.get(nodeName));
  const peers = [
    ...meshPeers(nodes, self, family, settings, options.readSecret),
    ...globalPeerings.map((p) => peerFromPeering(datastore, p, 'global', identity, options.readSecret)),
    ...nodePeerings.map((p) => peerFromPeering(datastore, p, 'node', identity, options.readSecret)),
  ]
    .filter((p): p is BirdPeer => p !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const routerId = options.routerId === 'hash' ? hashToIPv4(nodeName) : options.routerId || self.ipv4;
  return {
    nodeName,
    family,
    nodeIp,
    asNumber,
    routerId,
    debug: debugOf(settings, nodeName),
    listenAddress: settings.bindToNodeIp ? nodeIp : '',
    listenPort: settings.listenPort(nodeName),
    ignoredInterfaces: settings.ignoredInterfaces,
    communities: settings.prefixAdvertisements(nodeName, family),
    filters: filterFunctions(datastore, family),
    peers,
    blocks: nodeBlocks(datastore, nodeName, family),
    serviceRoutes: serviceRoutes(datastore, settings, self, family),
    globalPeerRoutes: peerRoutes(globalPeerings, family, nodeIp),
    nodePeerRoutes: peerRoutes(nodePeerings, family, nodeIp),
    pools: poolFilters(datastore, settings, family, family === 4 ? self.ipv4Network : self.ipv6Network),
    normalRoutePriority: settings.normalRoutePriority,
  };
}
