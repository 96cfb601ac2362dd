import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { contains, parseNetwork } from '../../stacks/environment/net.ts';
import { renderCluster, type RenderedCluster } from '../../templates/render.ts';
import { ALL_CASES, FIXTURES_DIR, atCapacity, clusterOf, renderedCase } from './cases.ts';
import { parseSelector } from './calico-selector.ts';
import { neighborsForm } from '../../stacks/topology/peer-addresses.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { sessionsInsideCluster } from '../../stacks/topology/cluster-sessions.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';

// Both sides of every BGP session, read from the rendered files only: the Calico resources
// (BGPConfiguration, BGPPeers with their selectors, each Node's labels and annotations) give the
// sessions calico-node opens, as Calico's confd forms them; each router's frr.conf gives the
// sessions it accepts. They must be the same sessions with the same AS numbers and passwords, in
// every example and fixture, and at full capacity with the routers' files of today.

interface CalicoNode {
  name: string;
  address: string;
  asNumber: number;
  labels: Record<string, string>;
  clusterId: string | undefined;
}

interface Session {
  node: string;
  peerIP: string;
  asNumber: number;
  password: string | null;
}

/** The sessions calico-node would open, per Calico's BGPPeer semantics. */
function calicoSessions(rendered: RenderedCluster) {
  const file = (path: string) => rendered.cluster.artifacts.find((a) => a.path === path)!.content;
  const docs = parseAllDocuments(file('cluster/calico/bgp.yaml')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
  const config = docs.find((d) => d.kind === 'BGPConfiguration')!.spec as { asNumber: number; nodeToNodeMeshEnabled: boolean };
  const nodes: CalicoNode[] = rendered.nodes.map((n) => {
    const doc = parseAllDocuments(file(`cluster/calico/nodes/${n.name}.yaml`))
      .map((d) => d.toJS() as { kind: string; metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } })
      .find((d) => d.kind === 'Node')!;
    const annotations = doc.metadata.annotations ?? {};
    return {
      name: n.name,
      address: n.address,
      asNumber: Number(annotations['projectcalico.org/ASNumber'] ?? config.asNumber),
      labels: doc.metadata.labels ?? {},
      clusterId: annotations['projectcalico.org/RouteReflectorClusterID'],
    };
  });
  const external: Session[] = [];
  const internal = new Set<string>();
  const pair = (a: CalicoNode, b: CalicoNode) => [a.name, b.name].sort().join(' ');
  if (config.nodeToNodeMeshEnabled) for (const a of nodes) for (const b of nodes) if (a !== b) internal.add(pair(a, b));
  for (const peer of docs.filter((d) => d.kind === 'BGPPeer')) {
    const spec = peer.spec as { nodeSelector?: string; peerSelector?: string; peerIP?: string; asNumber?: number; password?: { secretKeyRef: { key: string } } };
    const selected = spec.nodeSelector === undefined ? nodes : nodes.filter((n) => parseSelector(spec.nodeSelector!)(n.labels));
    if (spec.peerSelector !== undefined) {
      const peers = nodes.filter((n) => parseSelector(spec.peerSelector!)(n.labels));
      for (const a of selected) for (const b of peers) if (a !== b) internal.add(pair(a, b));
    } else {
      for (const n of selected) external.push({ node: n.name, peerIP: spec.peerIP!, asNumber: spec.asNumber!, password: spec.password?.secretKeyRef.key ?? null });
    }
  }
  return { nodes, external, internal: [...internal].map((p) => p.split(' ') as [string, string]) };
}

interface Router {
  name: string;
  address: string;
  asNumber: number;
  /** The remote AS and password it takes from an address, or undefined when it takes no session from there. */
  accepts(address: string): { asNumber: number; password: string | null } | undefined;
  neighbors: string[];
}

function routers(rendered: RenderedCluster): Router[] {
  return rendered.peers.map((p) => {
    const conf = p.frrConf.content;
    const lines = (re: RegExp) => [...conf.matchAll(re)];
    const groups = new Map(lines(/^ neighbor (\S+) peer-group$/gm).map(([, g]) => [g!, { asNumber: NaN, password: null as string | null }]));
    for (const [, g, as] of lines(/^ neighbor (\S+) remote-as (\d+)$/gm)) groups.get(g!)!.asNumber = Number(as);
    for (const [, g, pw] of lines(/^ neighbor (\S+) password \$\{(\w+)\}$/gm)) groups.get(g!)!.password = pw!;
    const ranges = lines(/^ bgp listen range (\S+) peer-group (\S+)$/gm).map(([, cidr, g]) => ({ net: parseNetwork(cidr!), group: groups.get(g!)! }));
    const statics = new Map(lines(/^ neighbor (\d+\.\d+\.\d+\.\d+) peer-group (\S+)$/gm).map(([, a, g]) => [a!, groups.get(g!)!]));
    return {
      name: p.name,
      address: p.address,
      asNumber: Number(/^router bgp (\d+)$/m.exec(conf)![1]),
      accepts: (address: string) => statics.get(address) ?? ranges.find((r) => contains(r.net, address))?.group,
      neighbors: [...statics.keys()],
    };
  });
}

function checkBothSides(rendered: RenderedCluster, sideOfRouters: Router[]) {
  const { nodes, external, internal } = calicoSessions(rendered);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const problems: string[] = [];
  for (const s of external) {
    const node = byName.get(s.node)!;
    const router = sideOfRouters.find((r) => r.address === s.peerIP);
    if (router === undefined) {
      problems.push(`${s.node} → ${s.peerIP}: no router config for that address`);
      continue;
    }
    if (router.asNumber !== s.asNumber) problems.push(`${s.node} → ${router.name}: BGPPeer says AS ${s.asNumber}, the router is AS ${router.asNumber}`);
    const accepted = router.accepts(node.address);
    if (accepted === undefined) problems.push(`${s.node} (${node.address}) → ${router.name}: the router does not accept it`);
    else {
      if (accepted.asNumber !== node.asNumber) problems.push(`${s.node} → ${router.name}: the router expects AS ${accepted.asNumber}, the node is AS ${node.asNumber}`);
      if (accepted.password !== s.password) problems.push(`${s.node} → ${router.name}: passwords ${s.password} and ${accepted.password} differ`);
    }
  }
  for (const router of sideOfRouters) {
    for (const node of nodes) {
      const opens = external.some((s) => s.node === node.name && s.peerIP === router.address);
      if (router.accepts(node.address) !== undefined && !opens) problems.push(`${router.name} accepts ${node.name} (${node.address}), which has no BGPPeer to it`);
    }
    for (const address of router.neighbors) if (!nodes.some((n) => n.address === address)) problems.push(`${router.name} lists ${address}, which is no node`);
  }
  for (const [a, b] of internal.map(([x, y]) => [byName.get(x)!, byName.get(y)!] as const)) {
    if (a.asNumber !== b.asNumber) problems.push(`${a.name} (AS ${a.asNumber}) and ${b.name} (AS ${b.asNumber}) peer inside the cluster across AS numbers`);
  }
  return { problems, nodes, external, internal };
}

/** The nodes whose pod blocks a peer learns: from the node itself, or reflected by a route reflector that peers with it. */
function nodesWhoseBlocksReach(rendered: RenderedCluster, peerIP: string): string[] {
  const { nodes, external, internal } = calicoSessions(rendered);
  const direct = new Set(external.filter((s) => s.peerIP === peerIP).map((s) => s.node));
  const reflectors = new Set(nodes.filter((n) => n.clusterId !== undefined && direct.has(n.name)).map((n) => n.name));
  const reflected = (name: string) => internal.some(([a, b]) => (a === name && reflectors.has(b)) || (b === name && reflectors.has(a)));
  return nodes.filter((n) => direct.has(n.name) || reflected(n.name)).map((n) => n.name);
}

describe.each(ALL_CASES)('BGP sessions of %s', (name) => {
  const rendered = renderedCase(name);
  const spec = clusterOf(name).spec;

  it('every BGPPeer of a node has its match on the router, and every node a router accepts has a BGPPeer to it', () => {
    expect(checkBothSides(rendered, routers(rendered)).problems).toEqual([]);
  });

  it('still line up at full capacity, with the dynamic routers as they are configured today', () => {
    const full = renderCluster(atCapacity(name));
    const dynamic = new Set(spec.calico.bgp.peers.filter((p) => neighborsForm(p) === 'dynamic').map((p) => p.name));
    const today = [...routers(rendered).filter((r) => dynamic.has(r.name)), ...routers(full).filter((r) => !dynamic.has(r.name))];
    const { problems, nodes } = checkBothSides(full, today);
    expect(problems).toEqual([]);
    expect(nodes.length).toBeGreaterThanOrEqual(rendered.nodes.length);
  });

  it('with the mesh off, every node has a session, and reflection stays within one AS', () => {
    const { nodes, external, internal } = checkBothSides(rendered, routers(rendered));
    if (spec.calico.bgp.nodeToNodeMesh) return;
    for (const node of nodes) {
      const sessions = external.filter((s) => s.node === node.name).length + internal.filter((p) => p.includes(node.name)).length;
      expect(sessions, `${node.name} has no BGP session`).toBeGreaterThan(0);
    }
    const byName = new Map(nodes.map((n) => [n.name, n]));
    for (const [a, b] of internal.map(([x, y]) => [byName.get(x)!, byName.get(y)!] as const)) {
      expect(a.clusterId !== undefined || b.clusterId !== undefined, `${a.name} and ${b.name}: an in-cluster session without a reflector`).toBe(true);
    }
  });

  it('the sessions inside the cluster that verify checks are those the rendered resources give, seen from both sides', () => {
    const unordered = (a: string, b: string) => [a, b].sort().join(' ');
    const checked = sessionsInsideCluster(clusterOf(name)).map((s) => [s.node.name, s.peer.name] as const);
    const fromRendered = calicoSessions(rendered).internal;
    expect(new Set(checked.map(([a, b]) => unordered(a, b)))).toEqual(new Set(fromRendered.map(([a, b]) => unordered(a, b))));
    // Each node reports its side: every pair twice, once from each end.
    expect(checked.length).toBe(2 * fromRendered.length);
    expect(new Set(checked.map(([a, b]) => `${a}→${b}`)).size).toBe(checked.length);
  });

  it("a peer of all nodes or of the reflectors learns every node's pod blocks", () => {
    const everyNode = rendered.nodes.map((n) => n.name);
    for (const peer of spec.calico.bgp.peers.filter((p) => p.nodes === 'all' || p.nodes === 'routeReflectors')) {
      expect(nodesWhoseBlocksReach(rendered, peer.address), peer.name).toEqual(everyNode);
    }
  });
});

describe('the session check', () => {
  it('finds a router that expects another AS, and a node it does not accept', () => {
    const rendered = renderedCase('prod');
    const wrong = routers(rendered).map((r) =>
      r.name === 'tor-r2-a' ? { ...r, accepts: (a: string) => (a === '10.40.0.226' ? undefined : r.accepts(a) && { ...r.accepts(a)!, asNumber: 65101 }) } : r,
    );
    const { problems } = checkBothSides(rendered, wrong);
    expect(problems).toContain('prod-general-b-1 → tor-r2-a: the router expects AS 65101, the node is AS 65102');
    expect(problems).toContain('prod-general-b-2 (10.40.0.226) → tor-r2-a: the router does not accept it');
  });

  it("finds what prod's former shape costs: rack r1's reflectors cannot pass rack r2's pod blocks to the F5", () => {
    const prod = loadEnvironmentByName('prod');
    const bgp = { ...prod.spec.calico.bgp, routeReflectors: { nodes: ['prod-cp-1', 'prod-cp-2', 'prod-cp-3'], clusterId: '244.0.0.1' } };
    // Rendered without validation, which refuses it.
    const former = renderCluster(computeCluster({ ...prod, spec: { ...prod.spec, calico: { ...prod.spec.calico, bgp } } }));
    expect(nodesWhoseBlocksReach(former, '10.40.0.6')).not.toContain('prod-general-b-1');
    expect(nodesWhoseBlocksReach(renderedCase('prod'), '10.40.0.6')).toContain('prod-general-b-1');
  });

  it('finds in-cluster sessions across AS numbers: a mesh over racks with their own AS', () => {
    const env = loadEnvironmentByName('rack-asns', FIXTURES_DIR);
    const bgp = { ...env.spec.calico.bgp, nodeToNodeMesh: true };
    const meshed = renderCluster(computeCluster({ ...env, spec: { ...env.spec, calico: { ...env.spec.calico, bgp } } }));
    expect(checkBothSides(meshed, routers(meshed)).problems).toContain('rack-asns-b-1 (AS 4200000001) and rack-asns-cp-1 (AS 65201) peer inside the cluster across AS numbers');
  });

  it('reads Calico selectors as Calico does', () => {
    const labels = { 'herd.io/rack': 'r1', 'herd.io/route-reflector': 'true' };
    expect(parseSelector("herd.io/route-reflector == 'true' && herd.io/rack == 'r1'")(labels)).toBe(true);
    expect(parseSelector("!has(herd.io/route-reflector) && herd.io/rack == 'r1'")(labels)).toBe(false);
    expect(parseSelector("herd.io/rack in { 'r2', 'r1' }")(labels)).toBe(true);
    expect(parseSelector("herd.io/rack not in { 'r1' } || has(x)")(labels)).toBe(false);
    expect(() => parseSelector("herd.io/rack ~= 'r1'")).toThrow(/cannot read|unknown operator/);
  });
});
