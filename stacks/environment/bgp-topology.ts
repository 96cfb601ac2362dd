import type { EnvironmentSpec } from './schema.ts';
import type { CheckIssue } from './checks.ts';
import { rangeSize } from './net.ts';
import { asNumberOf, nodeSlots, type NodeSlot } from '../topology/topology.ts';
import { neighborsForm, peerAddressGroups } from '../topology/peer-addresses.ts';

// The BGP topologies herd renders, and the rules that keep an environment inside one of them.
// Each is coherent on its own: routes are reflected only within one AS, every node has someone to
// announce its pod blocks to, and each router's side can be rendered for the peer it is.
// docs/rendering.md ("BGP topologies") has the table and the pictures.

export type BgpTopology =
  /** Calico's node-to-node mesh: every node peers with every other, all in one AS. */
  | 'mesh'
  /** One AS; the route reflectors (calico.bgp.routeReflectors) peer with every other node. */
  | 'clusterReflectors'
  /** An AS per rack (calico.bgp.rackAsNumbers); each rack's reflectors serve only that rack. */
  | 'rackReflectors'
  /** No BGP inside the cluster: each node peers only with routers outside it, which carry routes between nodes and racks. */
  | 'routers';

export function bgpTopology(spec: EnvironmentSpec): BgpTopology {
  const bgp = spec.calico.bgp;
  if (bgp.nodeToNodeMesh) return 'mesh';
  if (bgp.routeReflectors === undefined) return 'routers';
  return Object.keys(bgp.rackAsNumbers).length > 0 ? 'rackReflectors' : 'clusterReflectors';
}

const SEE = 'see "BGP topologies" in docs/rendering.md';
/** FRR's ceiling for `bgp listen limit`. */
export const LISTEN_LIMIT_MAX = 65535;

const poolPath = (slot: NodeSlot): PropertyKey[] => (slot.role === 'controlPlane' ? ['controlPlane'] : ['workerPools', slot.poolIndex]);
const poolWords = (slot: NodeSlot): string => (slot.role === 'controlPlane' ? 'the control plane' : `workerPools ${slot.pool}`);

/** One entry per pool that has nodes today: rules speak of pools, not of each node. */
function poolsWithNodes(slots: readonly NodeSlot[]): NodeSlot[] {
  return slots.filter((s) => s.index === 1);
}

export function bgpTopologyIssues(env: string, spec: EnvironmentSpec): CheckIssue[] {
  const bgp = spec.calico.bgp;
  const slots = nodeSlots(env, spec);
  const issues: CheckIssue[] = [];
  const topology = bgpTopology(spec);

  if (topology === 'mesh') {
    const asOfPool = poolsWithNodes(slots).map((s) => `${s.rack === undefined ? poolWords(s) : `rack ${s.rack}`}: ${asNumberOf(s, spec)}`);
    if (new Set(slots.map((s) => asNumberOf(s, spec))).size > 1) {
      issues.push({
        path: ['calico', 'bgp', 'rackAsNumbers'],
        message:
          `the node-to-node mesh (calico.bgp.nodeToNodeMesh) peers every node with every other, so nodes in different AS numbers (${[...new Set(asOfPool)].join(', ')}) ` +
          'would peer by eBGP across racks and pass on each other\'s routes. Supported: one AS with the mesh (remove rackAsNumbers), ' +
          `or an AS per rack with nodeToNodeMesh: false, each rack's nodes peering with their routers (peers[].nodes: { racks: [...] }); ${SEE}`,
      });
    }
    if (bgp.routeReflectors !== undefined) {
      issues.push({
        path: ['calico', 'bgp', 'routeReflectors'],
        message: `route reflectors replace the node-to-node mesh; with both, every node peers twice. Set calico.bgp.nodeToNodeMesh: false to use the reflectors, or remove routeReflectors to keep the mesh; ${SEE}`,
      });
    }
  }

  if (topology === 'rackReflectors') {
    const reflectors = new Set(bgp.routeReflectors?.nodes ?? []);
    for (const pool of poolsWithNodes(slots).filter((s) => s.rack === undefined)) {
      issues.push({
        path: [...poolPath(pool), 'rack'],
        message: `with calico.bgp.rackAsNumbers and routeReflectors, routes are reflected within each rack's AS, and ${poolWords(pool)} has no rack: give it one`,
      });
    }
    const racks = [...new Set(slots.flatMap((s) => (s.rack === undefined ? [] : [s.rack])))].sort();
    for (const rack of racks.filter((r) => !slots.some((s) => s.rack === r && reflectors.has(s.name)))) {
      issues.push({
        path: ['calico', 'bgp', 'routeReflectors', 'nodes'],
        message:
          `rack ${rack} (AS ${bgp.rackAsNumbers[rack] ?? bgp.asNumber}) has no route reflector: with calico.bgp.rackAsNumbers, routes are reflected only within a rack's own AS ` +
          '(a reflector in another AS would be an eBGP peer, not a reflector). Supported: add a node of rack ' +
          `${rack} to routeReflectors.nodes; or remove routeReflectors, so that each rack's nodes peer with their routers (AS per rack); ` +
          `or remove rackAsNumbers, so that every node is in AS ${bgp.asNumber} with these reflectors; ${SEE}`,
      });
    }
  }

  // With no peers at all checks.ts already says that nodes cannot learn routes.
  if (topology === 'routers' && bgp.peers.length > 0) {
    const peered = (slot: NodeSlot) =>
      bgp.peers.some((p) => p.nodes === 'all' || (typeof p.nodes === 'object' && slot.rack !== undefined && p.nodes.racks.includes(slot.rack)));
    const alone = poolsWithNodes(slots).filter((s) => !peered(s));
    if (alone.length > 0) {
      const words = alone.map((s) => `${poolWords(s)}${s.rack === undefined ? '' : ` (rack ${s.rack})`}`);
      issues.push({
        path: ['calico', 'bgp', 'peers'],
        message:
          `the nodes of ${words.join(', ')} peer with no one: with the node-to-node mesh off and no route reflectors, a node announces its pod blocks only to the routers it peers with. ` +
          `Add a peer for their rack (nodes: { racks: [...] }) or one with nodes: all; ${SEE}`,
      });
    }
  }

  bgp.peers.forEach((peer, i) => {
    const at: PropertyKey[] = ['calico', 'bgp', 'peers', i, 'neighbors'];
    if (peer.kind === 'loadBalancer' && peer.neighbors === 'dynamic') {
      issues.push({
        path: at,
        message:
          "BIG-IP's imish documents no dynamic neighbors (bgp listen range) that herd could rely on; use neighbors: static (the default for kind: loadBalancer), " +
          'or kind: router for a load balancer that runs FRR',
      });
    }
    if (neighborsForm(peer) === 'dynamic') {
      const addresses = rangeSize(peerAddressGroups(env, spec, peer).flatMap((g) => g.ranges));
      if (addresses > LISTEN_LIMIT_MAX) {
        issues.push({
          path: at,
          message: `the listen ranges would hold ${addresses} addresses and FRR takes at most ${LISTEN_LIMIT_MAX} dynamic neighbors (bgp listen limit); lower network.allocation.poolSize, narrow this peer's nodes, or use neighbors: static`,
        });
      }
    }
  });
  return issues;
}
