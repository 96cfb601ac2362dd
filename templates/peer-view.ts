import type { Cluster, ClusterNode } from '../stacks/topology/topology.ts';
import type { BgpPeerSpec } from '../stacks/environment/schema.ts';

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
    group: `herd-${cluster.name}`,
    prefixes: prefixes.map((p, i) => ({ ...p, seq: (i + 1) * 5 })),
    neighbors: nodesPeeringWith(cluster, peer).map((n) => ({ name: n.name, address: n.address, asNumber: n.asNumber })),
  };
}
