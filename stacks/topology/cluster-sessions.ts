import { bgpTopology } from '../environment/bgp-topology.ts';
import type { Cluster, ClusterNode } from './topology.ts';

/**
 * One BGP session inside the cluster as one of its two nodes reports it
 * (CalicoNodeStatus lists a session on both sides, so each appears twice).
 */
export interface ClusterSession {
  readonly node: ClusterNode;
  readonly peer: ClusterNode;
}

/** Every ordered pair of distinct nodes from `from` × `to`, each unordered pair once per side. */
function pairs(from: readonly ClusterNode[], to: readonly ClusterNode[]): ClusterSession[] {
  const seen = new Set<string>();
  const sessions: ClusterSession[] = [];
  const add = (node: ClusterNode, peer: ClusterNode): void => {
    const key = `${node.name}→${peer.name}`;
    if (node === peer || seen.has(key)) return;
    seen.add(key);
    sessions.push({ node, peer });
  };
  for (const a of from) for (const b of to) (add(a, b), add(b, a));
  return sessions;
}

/** One reflection domain: its rack (none when the whole cluster is one) and its nodes, reflectors included. */
export interface ReflectionDomain {
  readonly rack: string | undefined;
  readonly nodes: readonly ClusterNode[];
}

/**
 * Who reflects for whom, as Calico's documented route-reflector topology: the
 * whole cluster, or with an AS per rack each rack that has reflectors, since
 * reflection across AS numbers would be eBGP (bgp-topology.ts checks that
 * every rack has a reflector). The rendered BGPPeers (templates/calico-view.ts)
 * and verify's sessions both come from here.
 */
export function reflectionDomains(cluster: Cluster): ReflectionDomain[] {
  if (bgpTopology(cluster.spec) !== 'rackReflectors') return [{ rack: undefined, nodes: cluster.nodes }];
  const racks = [...new Set(cluster.nodes.filter((n) => n.routeReflector).map((n) => n.rack!))].sort();
  return racks.map((rack) => ({ rack, nodes: cluster.nodes.filter((n) => n.rack === rack) }));
}

/**
 * The BGP sessions calico-node opens between the cluster's own nodes, as herd
 * renders the topology: every pair with the mesh; with reflectors, the
 * reflectors of a domain with each other and with every other node of it;
 * none when only routers outside the cluster carry routes.
 */
export function sessionsInsideCluster(cluster: Cluster): ClusterSession[] {
  const topology = bgpTopology(cluster.spec);
  if (topology === 'mesh') return pairs(cluster.nodes, cluster.nodes);
  if (topology === 'routers') return [];
  return reflectionDomains(cluster).flatMap((domain) =>
    pairs(
      domain.nodes.filter((n) => n.routeReflector),
      domain.nodes,
    ),
  );
}
