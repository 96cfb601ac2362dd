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

/**
 * The BGP sessions calico-node opens between the cluster's own nodes, as herd
 * renders the topology (templates/calico-view.ts): every pair with the mesh;
 * with reflectors, the reflectors of a domain (the cluster, or a rack when
 * each rack has its AS) with each other and with every other node of it; none
 * when only routers outside the cluster carry routes.
 */
export function sessionsInsideCluster(cluster: Cluster): ClusterSession[] {
  const topology = bgpTopology(cluster.spec);
  if (topology === 'mesh') return pairs(cluster.nodes, cluster.nodes);
  if (topology === 'routers') return [];
  const domains =
    topology === 'clusterReflectors' ? [cluster.nodes] : [...new Set(cluster.nodes.map((n) => n.rack))].map((rack) => cluster.nodes.filter((n) => n.rack === rack));
  return domains.flatMap((nodes) =>
    pairs(
      nodes.filter((n) => n.routeReflector),
      nodes,
    ),
  );
}
