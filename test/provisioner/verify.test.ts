import { describe, expect, it } from 'vitest';
import { healthProblems } from '../../scripts/provisioner/phases/verify.ts';
import type { ClusterHealth } from '../../scripts/provisioner/cluster-view.ts';
import { sessionsInsideCluster } from '../../stacks/topology/cluster-sessions.ts';
import type { Cluster } from '../../stacks/topology/topology.ts';
import { nodesPeeringWith } from '../../templates/peer-view.ts';
import { atCapacity, clusterOf } from '../templates/cases.ts';

// What verify finds in one read of the cluster: every session a node's
// calico-node should report, outside the cluster and inside it.

/** A healthy read of `cluster`, with the sessions `broken` names ("node→address") in another state and the nodes in `birdDown` reporting none. */
function read(cluster: Cluster, broken: ReadonlyMap<string, string> = new Map(), birdDown: readonly string[] = []): ClusterHealth {
  const sessions = [
    ...cluster.spec.calico.bgp.peers.flatMap((p) => nodesPeeringWith(cluster, p).map((n) => `${n.name}→${p.address}`)),
    ...sessionsInsideCluster(cluster).map((s) => `${s.node.name}→${s.peer.address}`),
  ];
  const reporting = sessions.filter((key) => !birdDown.some((node) => key.startsWith(`${node}→`)));
  return {
    readyz: true,
    nodes: new Map(cluster.nodes.map((n) => [n.name, { uid: `uid-${n.name}`, ready: true }])),
    bgp: { states: new Map(reporting.map((key) => [key, broken.get(key) ?? 'Established'])), birdDown: new Set(birdDown) },
  };
}

describe('verify', () => {
  it('finds nothing when every session inside and outside the cluster is Established', () => {
    for (const name of ['lab', 'prod', 'route-reflectors', 'rack-asns']) expect(healthProblems(clusterOf(name), read(clusterOf(name))), name).toEqual([]);
  });

  it('names a session to a route reflector that is down, from both its ends', () => {
    const cluster = clusterOf('route-reflectors');
    const broken = new Map([
      ['route-reflectors-worker-1→10.30.0.31', 'Active'],
      ['route-reflectors-rr-1→10.30.0.21', 'Connect'],
    ]);
    expect(healthProblems(cluster, read(cluster, broken))).toEqual([
      'BGP to route reflector route-reflectors-rr-1 (10.30.0.31) not Established from route-reflectors-worker-1 (Active)',
      'BGP to node route-reflectors-worker-1 (10.30.0.21) not Established from route-reflectors-rr-1 (Connect)',
    ]);
  });

  it('names a mesh session that is down, and one that no node reports', () => {
    const cluster = clusterOf('lab');
    const healthy = read(cluster);
    const states = new Map(healthy.bgp!.states);
    states.set('lab-worker-1→198.18.10.22', 'OpenSent');
    states.delete('lab-worker-2→198.18.10.21');
    expect(healthProblems(cluster, { ...healthy, bgp: { ...healthy.bgp!, states } })).toEqual([
      'BGP to node lab-worker-1 (198.18.10.21) not Established from lab-worker-2 (no session reported)',
      'BGP to node lab-worker-2 (198.18.10.22) not Established from lab-worker-1 (OpenSent)',
    ]);
  });

  it('keeps a reflector that is down readable at full capacity: a dozen names a line, a dozen lines, then how many more', () => {
    const cluster = atCapacity('prod');
    const rack = cluster.nodes.filter((n) => n.rack === 'r2');
    const reflector = rack.find((n) => n.routeReflector)!;
    const others = rack.filter((n) => n !== reflector);
    expect(others.length).toBeGreaterThan(12);
    // Its BIRD is down: it reports nothing, and every node of its rack finds its session to it Active.
    const broken = new Map(others.map((n) => [`${n.name}→${reflector.address}`, 'Active']));
    const found = healthProblems(cluster, read(cluster, broken, [reflector.name]));
    const dead = "(no session: the node's BIRD is not running)";
    expect(found).toContain(`BGP to f5-bigip (10.40.0.6) not Established from ${reflector.name} ${dead}`);
    expect(found).toContain(`BGP to tor-r2-a (10.40.0.4) not Established from ${reflector.name} ${dead}`);
    const toIt = found.find((l) => l.startsWith(`BGP to route reflector ${reflector.name} (${reflector.address}) not Established from `))!;
    expect(toIt.split(', ')).toHaveLength(12);
    expect(toIt).toMatch(new RegExp(`\\(Active\\) and ${others.length - 12} more$`));
    const inside = found.filter((l) => /^BGP to (node|route reflector) /.test(l));
    expect(inside).toHaveLength(12);
    // One line toward the reflector, one from it toward each node of its rack.
    expect(found.at(-1)).toBe(`${1 + others.length - 12} more nodes with sessions inside the cluster not Established`);
    expect(inside.filter((l) => l !== toIt).every((l) => l.endsWith(`from ${reflector.name} ${dead}`))).toBe(true);
  });

  it('does not read BGP where no external peer rests on it', () => {
    const cluster = clusterOf('dev');
    expect(cluster.spec.calico.bgp.peers).toEqual([]);
    expect(healthProblems(cluster, { ...read(cluster), bgp: undefined })).toEqual([]);
  });
});
