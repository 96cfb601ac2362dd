import type { Cluster, ClusterNode } from '../stacks/topology/topology.ts';
import type { BgpPeerSpec } from '../stacks/environment/schema.ts';
import { cidrsCovering, rangeSize } from '../stacks/environment/net.ts';
import { LISTEN_LIMIT_MAX } from '../stacks/environment/bgp-topology.ts';
import { neighborsForm, peerAddressGroups, poolName, poolsPeeringWith } from '../stacks/topology/peer-addresses.ts';

// The router's or load balancer's side of each external peering, in FRR's terms.

/** The nodes that open a session to this peer, as the BGPPeer's node selector picks them. */
export function nodesPeeringWith(cluster: Cluster, peer: BgpPeerSpec): ClusterNode[] {
  if (peer.nodes === 'all') return [...cluster.nodes];
  if (peer.nodes === 'routeReflectors') return cluster.nodes.filter((n) => n.routeReflector);
  const racks = new Set(peer.nodes.racks);
  return cluster.nodes.filter((n) => n.rack !== undefined && racks.has(n.rack));
}

/** "1m30s" → 90; FRR's timers take whole seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(amount) * units[unit!]!;
  return Math.max(1, Math.round(total));
}

/** A paragraph as comment lines of at most 100 columns. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > 98) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** What an operator must change on this peer when capacity changes: nothing, for dynamic neighbors. */
function scalingNote(cluster: Cluster, peer: BgpPeerSpec, groupPrefix: string): string {
  const spec = cluster.spec;
  const pools = poolsPeeringWith(spec, peer);
  if (neighborsForm(peer) === 'dynamic') {
    const sources = peerAddressGroups(cluster.name, spec, peer)
      .map((g) => `AS ${g.asNumber}: ${g.sources.join(', ')}`)
      .join('; ');
    const [covered, inputs] =
      pools === null
        ? ["the route reflectors' addresses", 'calico.bgp.routeReflectors.nodes or their addresses']
        : spec.infrastructure.type === 'static'
          ? ['the address of every host in infrastructure.hosts named for a node that peers here, spares included', 'infrastructure.hosts']
          : ["every address herd can give a node that peers here: its pool's block of network.allocation, or its pinned address", 'network.allocation, network.addresses'];
    return (
      `Dynamic neighbors: the listen ranges, one peer group per AS, cover ${covered} (${sources}). ` +
      'Nodes added or removed there need no change on this router. Render and load it again only after changing ' +
      `${inputs}, calico.bgp.rackAsNumbers, this peer's nodes, or the pools and racks that peer here.`
    );
  }
  const lead = peer.kind === 'loadBalancer' ? "Static neighbors, one per node (BIG-IP's imish has no dynamic neighbors that herd relies on)" : 'Static neighbors, one per node';
  const how =
    `add \`neighbor <address> peer-group ${groupPrefix}<the node's AS>\` and its description for each new node and ` +
    `\`no neighbor <address>\` for each one removed; \`herd peers ${cluster.name} --peer ${peer.name}\` prints the new list.`;
  if (pools === null) {
    return `${lead}: the route reflectors (calico.bgp.routeReflectors.nodes), so a capacity change leaves this file as it is. When the reflectors change, ${how}`;
  }
  const counts = pools.map((p) => (p === 'controlPlane' ? 'controlPlane.count' : `the count of workerPools ${poolName(spec, p)}`));
  return `${lead}: every change of ${counts.join(', ')} changes this file. On a scale-out or scale-in, ${how}`;
}

export function peerView(cluster: Cluster, peer: BgpPeerSpec) {
  const spec = cluster.spec;
  const advertise = spec.calico.bgp.advertise;
  const pools = spec.calico.ipPools?.map((p) => p.cidr) ?? [spec.kubernetes.podCidr];
  const prefixes = [
    ...pools.map((cidr) => ({ cidr, what: 'pods' })),
    ...(advertise.serviceClusterIps ? [{ cidr: spec.kubernetes.serviceCidr, what: 'service cluster IPs' }] : []),
    ...advertise.serviceExternalIps.map((cidr) => ({ cidr, what: 'service external IPs' })),
    ...advertise.serviceLoadBalancerIps.map((cidr) => ({ cidr, what: 'service load-balancer IPs' })),
  ];
  const keepalive = peer.keepaliveTime === undefined ? null : durationSeconds(peer.keepaliveTime);
  const prefix = `herd-${cluster.name}`;
  const groupName = (asNumber: number) => `${prefix}-as${asNumber}`;
  const dynamic = neighborsForm(peer) === 'dynamic';
  const nodes = nodesPeeringWith(cluster, peer);
  const addressGroups = peerAddressGroups(cluster.name, spec, peer);
  // Static neighbors: the AS of each node that peers here today; dynamic: of every pool that may.
  const asNumbers = dynamic ? addressGroups.filter((g) => g.ranges.length > 0).map((g) => g.asNumber) : [...new Set(nodes.map((n) => n.asNumber))].sort((a, b) => a - b);
  const groups = asNumbers.map((asNumber) => ({
    name: groupName(asNumber),
    asNumber,
    ranges: dynamic ? cidrsCovering(addressGroups.find((g) => g.asNumber === asNumber)!.ranges) : [],
    neighbors: dynamic ? [] : nodes.filter((n) => n.asNumber === asNumber).map((n) => ({ name: n.name, address: n.address })),
  }));
  const listenLimit = Math.min(LISTEN_LIMIT_MAX, Math.max(1, rangeSize(addressGroups.flatMap((g) => g.ranges))));
  return {
    cluster: cluster.name,
    peer: {
      name: peer.name,
      address: peer.address,
      asNumber: peer.asNumber,
      kind: peer.kind,
      loadBalancer: peer.kind === 'loadBalancer',
      passwordEnv: peer.passwordFrom?.env ?? null,
      // Shell syntax, so that envsubst fills it in where the password is known.
      passwordRef: peer.passwordFrom ? `\${${peer.passwordFrom.env}}` : null,
      // Hold time three keepalives, as BGP's defaults (60/180) have it.
      timers: keepalive === null ? null : { keepalive, hold: keepalive * 3 },
    },
    scaling: commentLines(scalingNote(cluster, peer, `${prefix}-as`)),
    policy: prefix,
    groups,
    dynamic: dynamic ? { listenLimit } : null,
    prefixes: prefixes.map((p, i) => ({ ...p, seq: (i + 1) * 5 })),
  };
}
