import { RACK_LABEL, type Cluster, type ClusterNode } from '../../stacks/topology/topology.ts';
import type { BgpPeerSpec, EnvironmentSpec } from '../../stacks/environment/schema.ts';
import { parseNetwork } from '../../stacks/environment/net.ts';
import { nodesPeeringWith, peerView } from '../../templates/peer-view.ts';
import { calicoView } from '../../templates/calico-view.ts';

// What an environment's network computes to, for `herd diagram`: the same
// cluster model, peer views and Calico view the renderer turns into BGPPeer
// resources and router configurations, never a second reading of the YAML.

export type SessionType = 'iBGP' | 'eBGP';

/** Why two speakers hold a session: an external peer (BGPPeer), Calico's node-to-node mesh, or the route-reflector topology. */
export type SessionReason = 'peer' | 'mesh' | 'routeReflector';

export interface Session {
  /** A node's name. */
  readonly from: string;
  /** A router's or another node's name. */
  readonly to: string;
  readonly type: SessionType;
  readonly reason: SessionReason;
  /** The environment variable the TCP-MD5 password comes from, or null. */
  readonly passwordEnv: string | null;
}

export interface Prefix {
  readonly cidr: string;
  readonly what: string;
}

export interface Router {
  readonly name: string;
  readonly address: string;
  readonly asNumber: number;
  readonly kind: BgpPeerSpec['kind'];
  /** The prefixes the cluster advertises to it, after the peer's export filters. */
  readonly receives: readonly Prefix[];
  /** Advertised routes its export filters keep from it. */
  readonly filteredOut: readonly Prefix[];
}

export interface Rack {
  /** undefined: nodes without a rack. */
  readonly name: string | undefined;
  readonly nodes: readonly ClusterNode[];
}

export interface NetworkModel {
  readonly cluster: string;
  readonly clusterAsNumber: number;
  readonly nodeCidr: string;
  readonly serviceCidr: string;
  readonly podPools: readonly { readonly cidr: string; readonly blockSize: number }[];
  readonly nodeToNodeMesh: boolean;
  readonly routeReflectorClusterId: string | null;
  readonly apiEndpoint: { readonly url: string; readonly onFirstNode: boolean };
  readonly racks: readonly Rack[];
  readonly routers: readonly Router[];
  readonly sessions: readonly Session[];
}

type ExportRule = EnvironmentSpec['calico']['bgp']['filters'][number]['exportV4'][number];

function within(inner: string, outer: string): boolean {
  const a = parseNetwork(inner);
  const b = parseNetwork(outer);
  return a.first >= b.first && a.last <= b.last;
}

function ruleMatches(rule: ExportRule, cidr: string): boolean {
  if (rule.cidr === undefined || rule.matchOperator === undefined) return true;
  switch (rule.matchOperator) {
    case 'Equal':
      return cidr === rule.cidr;
    case 'NotEqual':
      return cidr !== rule.cidr;
    case 'In':
      return within(cidr, rule.cidr);
    case 'NotIn':
      return !within(cidr, rule.cidr);
  }
}

/** A BGPFilter's exportV4 rules, in order: the first that matches decides; none matching exports the route, as in Calico. */
function exported(cidr: string, rules: readonly ExportRule[]): boolean {
  return (rules.find((r) => ruleMatches(r, cidr))?.action ?? 'Accept') === 'Accept';
}

function router(cluster: Cluster, peer: BgpPeerSpec): Router {
  const view = peerView(cluster, peer);
  const byName = new Map(cluster.spec.calico.bgp.filters.map((f) => [f.name, f.exportV4]));
  const rules = (peer.filters ?? []).flatMap((name) => byName.get(name) ?? []);
  const prefixes = view.prefixes.map(({ cidr, what }) => ({ cidr, what }));
  return {
    name: peer.name,
    address: peer.address,
    asNumber: peer.asNumber,
    kind: peer.kind,
    receives: prefixes.filter((p) => exported(p.cidr, rules)),
    filteredOut: prefixes.filter((p) => !exported(p.cidr, rules)),
  };
}

const sessionType = (a: number, b: number): SessionType => (a === b ? 'iBGP' : 'eBGP');

function internalSessions(cluster: Cluster): Session[] {
  const bgp = calicoView(cluster).bgp;
  const nodes = cluster.nodes;
  const between = (a: ClusterNode, b: ClusterNode, reason: SessionReason): Session => ({ from: a.name, to: b.name, type: sessionType(a.asNumber, b.asNumber), reason, passwordEnv: null });
  const sessions: Session[] = [];
  if (bgp.nodeToNodeMesh) {
    nodes.forEach((a, i) => nodes.slice(i + 1).forEach((b) => sessions.push(between(a, b, 'mesh'))));
  }
  // calico-bgp.yaml.hbs: in each reflection domain (the cluster, or one rack), the reflectors peer
  // with each other and every other node of the domain with each of them.
  for (const domain of bgp.routeReflectors?.domains ?? []) {
    const rack = new RegExp(`${RACK_LABEL.replaceAll('.', '\\.')} == '([^']+)'`).exec(domain.reflectors)?.[1];
    const inDomain = nodes.filter((n) => rack === undefined || n.rack === rack);
    const reflectors = inDomain.filter((n) => n.routeReflector);
    reflectors.forEach((a, i) => reflectors.slice(i + 1).forEach((b) => sessions.push(between(a, b, 'routeReflector'))));
    for (const node of inDomain.filter((n) => !n.routeReflector)) for (const rr of reflectors) sessions.push(between(node, rr, 'routeReflector'));
  }
  return sessions;
}

function externalSessions(cluster: Cluster): Session[] {
  return cluster.spec.calico.bgp.peers.flatMap((peer) =>
    nodesPeeringWith(cluster, peer).map((node) => ({
      from: node.name,
      to: peer.name,
      type: sessionType(node.asNumber, peer.asNumber),
      reason: 'peer' as const,
      passwordEnv: peer.passwordFrom?.env ?? null,
    })),
  );
}

function racks(cluster: Cluster): Rack[] {
  const names = [...new Set(cluster.nodes.map((n) => n.rack))];
  return names.map((name) => ({ name, nodes: cluster.nodes.filter((n) => n.rack === name) }));
}

export function networkModel(cluster: Cluster): NetworkModel {
  const calico = calicoView(cluster);
  const { host, port } = cluster.apiEndpoint;
  return {
    cluster: cluster.name,
    clusterAsNumber: calico.bgp.asNumber,
    nodeCidr: cluster.spec.network.cidr,
    serviceCidr: cluster.spec.kubernetes.serviceCidr,
    podPools: calico.ipPools.map((p) => ({ cidr: p.cidr, blockSize: p.blockSize })),
    nodeToNodeMesh: calico.bgp.nodeToNodeMesh,
    routeReflectorClusterId: calico.bgp.routeReflectors?.clusterId ?? null,
    apiEndpoint: { url: `https://${host}:${port}`, onFirstNode: cluster.spec.controlPlane.endpoint.type === 'firstNode' },
    racks: racks(cluster),
    routers: cluster.spec.calico.bgp.peers.map((p) => router(cluster, p)),
    sessions: [...externalSessions(cluster), ...internalSessions(cluster)],
  };
}
