import { readField, ResourceError, type BGPPeer, type CalicoDatastore } from '../resources.ts';
import { parseAddress, splitHostPort, type IpFamily } from './addresses.ts';
import { durationSeconds, type BgpSettings, type SecretRef } from './bgp-configuration.ts';
import type { NodeBgp } from './nodes.ts';
import { parseSelector } from '../selector.ts';

// confd's client turns the v3 BGPPeers into "v1" peerings (client.go, updatePeersV1): global
// ones, which every node opens, and node-specific ones, keyed by node. A BGPPeer's peers are
// its peerIP, or every node its peerSelector matches, or (localWorkloadSelector) the local
// workloads Felix matched to it; the nodes it applies to are its node / nodeSelector, or all.
// A second pass adds the reverse peerings that make Calico-node-to-Calico-node peerings
// symmetric, unless the BGPPeer says reversePeering: Manual.

export type NextHopMode = 'Auto' | 'Self' | 'Keep';

export interface Peering {
  readonly family: IpFamily;
  readonly ip: string;
  /** 0: BIRD's default port. */
  readonly port: number;
  readonly asNumber: string;
  readonly rrClusterId: string;
  readonly password: SecretRef | undefined;
  /** "UseNodeIP" or "None". */
  readonly sourceAddress: string;
  readonly keepOriginalNextHop: boolean;
  readonly nextHopMode: NextHopMode;
  /** Seconds, or "" when not set. */
  readonly restartTime: string;
  readonly keepaliveTime: string;
  /** The peer is a node of this cluster (its address is some node's BGP address). */
  readonly calicoNode: boolean;
  readonly numAllowedLocalAs: number;
  readonly ttlSecurity: number;
  readonly reachableBy: string;
  readonly filters: readonly string[];
  readonly localAsNumber: string;
  /** A local workload peering (localWorkloadSelector): the workload connects to its host. */
  readonly localWorkload: boolean;
}

export interface Peerings {
  readonly global: ReadonlyMap<string, Peering>;
  /** Node-specific peerings of each node, by peering key. */
  readonly byNode: ReadonlyMap<string, ReadonlyMap<string, Peering>>;
}

type PeerTarget = Omit<Peering, 'password' | 'sourceAddress' | 'restartTime' | 'keepaliveTime' | 'filters' | 'localAsNumber' | 'nextHopMode' | 'keepOriginalNextHop' | 'numAllowedLocalAs'>;

export function peeringKey(peer: { ip: string; port: number }): string {
  return peer.port > 0 ? `${peer.ip}-${peer.port}` : peer.ip;
}

function withPeerSettings(target: PeerTarget, peer: BGPPeer): Peering {
  const spec = peer.spec;
  const ref = spec.password?.secretKeyRef;
  return {
    ...target,
    password: ref ? { name: ref.name, key: ref.key } : undefined,
    sourceAddress: target.localWorkload ? 'None' : (spec.sourceAddress ?? 'UseNodeIP'),
    restartTime: spec.maxRestartTime === undefined ? '' : readField('BGPPeer', peer.metadata.name, 'spec.maxRestartTime', () => durationSeconds(spec.maxRestartTime!)),
    keepaliveTime: spec.keepaliveTime === undefined ? '' : readField('BGPPeer', peer.metadata.name, 'spec.keepaliveTime', () => durationSeconds(spec.keepaliveTime!)),
    filters: spec.filters ?? [],
    localAsNumber: spec.localASNumber === undefined ? '' : String(spec.localASNumber),
    nextHopMode: spec.nextHopMode ?? 'Auto',
    keepOriginalNextHop: spec.keepOriginalNextHop ?? false,
    numAllowedLocalAs: spec.numAllowedLocalASNumbers ?? 0,
  };
}

export function computePeerings(datastore: CalicoDatastore, nodes: ReadonlyMap<string, NodeBgp>, settings: BgpSettings): Peerings {
  const global = new Map<string, Peering>();
  const byNode = new Map<string, Map<string, Peering>>();
  const nodeIps = new Set([...nodes.values()].flatMap((n) => [n.ipv4, n.ipv6]).filter((ip) => ip !== ''));
  const matching = (peer: BGPPeer, field: 'nodeSelector' | 'peerSelector'): string[] => {
    const matches = readField('BGPPeer', peer.metadata.name, `spec.${field}`, () => parseSelector(peer.spec[field] ?? ''));
    return [...nodes.values()].filter((n) => matches(n.labels)).map((n) => n.name);
  };

  // An explicit peering wins over one added later for the same key, and a node-specific
  // peering to an address the node already peers with globally is dropped.
  const emit = (node: string | undefined, peering: Peering): void => {
    const key = `${peering.family}/${peeringKey(peering)}`;
    if (node === undefined) {
      if (!global.has(key)) global.set(key, peering);
      return;
    }
    if (global.has(key)) return;
    const own = byNode.get(node) ?? new Map<string, Peering>();
    if (!own.has(key)) own.set(key, peering);
    byNode.set(node, own);
  };

  const nodesWithAddress = (ip: string, asNumber: number | undefined, port: number): string[] => {
    const wanted = asNumber ? String(asNumber) : settings.asNumber;
    return [...nodes.values()]
      .filter((n) => n.ipv4 === ip || n.ipv6 === ip)
      .filter((n) => (n.asNumber || settings.asNumber) === wanted)
      .filter((n) => {
        // confd's nodesWithIPPortAndAS, including its quirk: a node whose own listen port matches
        // is still skipped when the cluster's listen port is set and differs.
        if (port === 0) return true;
        const own = settings.nodeListenPort(n.name);
        if (own !== undefined && own !== port) return false;
        return settings.globalListenPort === undefined || settings.globalListenPort === port;
      })
      .map((n) => n.name);
  };

  const nodeAsPeers = (nodeName: string, families: readonly IpFamily[], peer: BGPPeer): PeerTarget[] => {
    const node = nodes.get(nodeName);
    if (!node) return [];
    return families
      .map((family) => ({ family, ip: family === 4 ? node.ipv4 : node.ipv6 }))
      .filter(({ ip }) => ip !== '')
      .map(({ family, ip }) => ({
        family,
        ip,
        port: settings.listenPort(nodeName) ?? 0,
        asNumber: node.asNumber || settings.asNumber,
        rrClusterId: node.routeReflectorClusterId,
        calicoNode: false,
        ttlSecurity: peer.spec.ttlSecurity ?? 0,
        reachableBy: peer.spec.reachableBy ?? '',
        localWorkload: false,
      }));
  };

  const explicitPeer = (peer: BGPPeer): PeerTarget => {
    const spec = peer.spec;
    const { host, port: given } = splitHostPort(spec.peerIP ?? '');
    const ip = parseAddress(host);
    // Calico's API server rejects such a BGPPeer; confd would skip it.
    if (!ip) throw new ResourceError(`BGPPeer ${peer.metadata.name}: spec.peerIP: "${spec.peerIP ?? ''}" is not an IP address, IP:port or [IPv6]:port (or set peerSelector)`);
    let port = given;
    if (port === 0) {
      // A peer that is a Calico node is reached on that node's BGP listen port.
      const [node] = nodesWithAddress(ip.text, spec.asNumber, 0);
      if (node !== undefined) port = settings.listenPort(node) ?? 0;
    }
    let reachableBy = '';
    if (spec.reachableBy) {
      const via = parseAddress(spec.reachableBy);
      if (!via || via.family !== ip.family) {
        throw new ResourceError(`BGPPeer ${peer.metadata.name}: spec.reachableBy: "${spec.reachableBy}" is not an IPv${ip.family} address (the peer is ${ip.text})`);
      }
      reachableBy = spec.reachableBy;
    }
    return {
      family: ip.family,
      ip: ip.text,
      port,
      asNumber: String(spec.asNumber ?? 0),
      rrClusterId: '',
      calicoNode: nodeIps.has(ip.text),
      ttlSecurity: spec.ttlSecurity ?? 0,
      reachableBy,
      localWorkload: false,
    };
  };

  const localWorkloadPeers = (peer: BGPPeer): Array<{ node: string; target: PeerTarget }> =>
    datastore.localWorkloads
      .filter((w) => w.bgpPeerName === peer.metadata.name)
      .flatMap((w) =>
        [...w.ipv4Nets, ...w.ipv6Nets].flatMap((net) => {
          const ip = parseAddress(net.split('/')[0] ?? '');
          if (!ip) return [];
          const target: PeerTarget = {
            family: ip.family,
            ip: ip.text,
            port: 0,
            asNumber: String(peer.spec.asNumber ?? 0),
            rrClusterId: '',
            calicoNode: false,
            ttlSecurity: peer.spec.ttlSecurity ?? 0,
            reachableBy: '',
            localWorkload: true,
          };
          return [{ node: w.node, target }];
        }),
      );

  // confd walks its BGPPeers in map order; name order makes the outcome of overlapping
  // BGPPeers deterministic here.
  const bgpPeers = [...datastore.bgpPeers].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));

  for (const globalPass of [true, false]) {
    for (const peer of bgpPeers) {
      const spec = peer.spec;
      if (globalPass !== (!spec.nodeSelector && !spec.node)) continue;
      const localNodes = spec.nodeSelector ? matching(peer, 'nodeSelector') : spec.node ? [spec.node] : [];
      if (spec.localWorkloadSelector) {
        for (const { node, target } of localWorkloadPeers(peer)) {
          if (globalPass) emit(undefined, withPeerSettings(target, peer));
          else if (localNodes.includes(node)) emit(node, withPeerSettings(target, peer));
        }
        continue;
      }
      const targets = spec.peerSelector
        ? matching(peer, 'peerSelector').flatMap((n) => nodeAsPeers(n, [4, 6], peer))
        : [explicitPeer(peer)];
      for (const target of targets) {
        const peering = withPeerSettings(target, peer);
        if (globalPass) emit(undefined, peering);
        else for (const node of localNodes) emit(node, peering);
      }
    }
  }

  // Reverse peerings: the nodes a BGPPeer's peers describe get a peering back to the nodes it
  // applies to.
  for (const peer of bgpPeers) {
    const spec = peer.spec;
    if (spec.reversePeering === 'Manual' || spec.localWorkloadSelector) continue;
    let localNodes: string[];
    let families: IpFamily[];
    if (spec.peerSelector) {
      localNodes = matching(peer, 'peerSelector');
      families = [4, 6];
    } else {
      const { host, port } = splitHostPort(spec.peerIP ?? '');
      localNodes = nodesWithAddress(parseAddress(host)?.text ?? host, spec.asNumber, port);
      families = host.includes(':') ? [6] : [4];
    }
    if (localNodes.length === 0) continue;
    const peerNodes = spec.nodeSelector ? matching(peer, 'nodeSelector') : spec.node ? [spec.node] : [...nodes.keys()];
    for (const target of peerNodes.flatMap((n) => nodeAsPeers(n, families, peer))) {
      const peering = withPeerSettings(target, peer);
      for (const node of localNodes) emit(node, peering);
    }
  }

  return { global, byNode };
}
