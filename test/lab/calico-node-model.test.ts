import { describe, expect, it } from 'vitest';
import {
  birdConfigFor,
  datastoreFromObjects,
  hashToIPv4,
  nodeBirdConfig,
  parseCalicoYaml,
  type CalicoDatastore,
  type ReadSecret,
} from '../../scripts/lab/calico-node/index.ts';
import { truncateAndHashName } from '../../scripts/lab/calico-node/model/bgp-filters.ts';
import { parseGoDuration } from '../../scripts/lab/calico-node/model/bgp-configuration.ts';
import { parseSelector } from '../../scripts/lab/calico-node/selector.ts';
import { filterStatement } from '../../scripts/lab/calico-node/text/bird-filters.ts';

// The parts of calico-node's configuration that Calico's confd cases do not pin down, and the
// errors bad input gets. The replay (confd-replay.test.ts) covers the rest.

const v3 = 'projectcalico.org/v3';
const noSecrets: ReadSecret = () => undefined;

function kddNode(name: string, ipv4: string, extra: Record<string, string> = {}, labels: Record<string, string> = {}): unknown {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels, annotations: { 'projectcalico.org/IPv4Address': ipv4, ...extra } } };
}

function peer(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: v3, kind: 'BGPPeer', metadata: { name }, spec };
}

const meshOff = { apiVersion: v3, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: false, asNumber: 65100 } };

function lab(...objects: unknown[]): CalicoDatastore {
  return datastoreFromObjects([meshOff, kddNode('cp-1', '10.10.1.11/24'), kddNode('w-1', '10.10.1.21/24', { 'projectcalico.org/ASNumber': '65101' }, { rack: 'r1' }), ...objects]);
}

describe('Calico selectors', () => {
  const labels = { rack: 'r1', role: 'worker', 'herd.io/pool': 'gpu-a' };
  it.each([
    ['all()', true],
    ['has(rack)', true],
    ['!has(rack)', false],
    ["rack == 'r1'", true],
    ['rack == "r2"', false],
    ["zone != 'z1'", true],
    ["rack in {'r1', 'r2'}", true],
    ["rack not in {'r1'}", false],
    ["zone not in {'z1'}", true],
    ["herd.io/pool contains 'gpu'", true],
    ["herd.io/pool starts with 'gpu-'", true],
    ["herd.io/pool ends with '-b'", false],
    ["rack == 'r2' || role == 'worker' && has(rack)", true],
    ["(rack == 'r2' || role == 'worker') && !has(rack)", false],
  ])('%s', (selector, expected) => {
    expect(parseSelector(selector)(labels)).toBe(expected);
  });

  it.each([
    ["rack = 'r1'", `selector "rack = 'r1'": unexpected character '=' at position 6`],
    ['rack ==', 'selector "rack ==": expected a quoted value at the end'],
    ["has(rack", 'selector "has(rack": expected \')\' at the end'],
    ["rack in {'a' 'b'}", `selector "rack in {'a' 'b'}": expected ',' before 'b'`],
    ['rack', `selector "rack": expected an operator after 'rack' (==, !=, in, not in, contains, starts with, ends with)`],
  ])('rejects %s', (selector, message) => {
    expect(() => parseSelector(selector)).toThrow(message);
  });
});

describe('reading resources', () => {
  it('reads YAML as calicoctl does: yes is true, and a community such as 5663:12 stays text', () => {
    const [node, config] = parseCalicoYaml(
      'kind: Node\napiVersion: projectcalico.org/v3\nmetadata:\n  name: n1\n  labels:\n    rr: yes\n---\nkind: BGPConfiguration\napiVersion: projectcalico.org/v3\nmetadata:\n  name: default\nspec:\n  prefixAdvertisements:\n    - cidr: 10.0.0.0/8\n      communities: [5663:12]\n',
      'in.yaml',
    );
    expect(node).toMatchObject({ metadata: { labels: { rr: 'true' } } });
    expect(config).toMatchObject({ spec: { prefixAdvertisements: [{ communities: ['5663:12'] }] } });
  });

  it('names the file and line of a YAML error', () => {
    expect(() => parseCalicoYaml('kind: BGPPeer\nspec: [\n', 'peers.yaml')).toThrow(/^peers\.yaml: line \d+: /);
  });

  it('names the object and the field of a value of the wrong type', () => {
    expect(() => datastoreFromObjects([peer('tor-a', { peerIP: '10.0.0.1', asNumber: '65001' })], { where: 'calico-bgp.yaml' })).toThrow(
      'calico-bgp.yaml: BGPPeer tor-a: spec.asNumber: Invalid input: expected number, received string',
    );
    expect(() => datastoreFromObjects(['not an object'])).toThrow('document 1 is not an object (a Kubernetes resource has apiVersion, kind, metadata)');
  });

  it('keeps the last object of a kind and name, and ignores kinds confd does not read', () => {
    const ds = datastoreFromObjects([
      peer('tor-a', { peerIP: '10.0.0.1', asNumber: 65001 }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'herd-bgp' }, data: { tor: 'c2VjcmV0' } },
      peer('tor-a', { peerIP: '10.0.0.2', asNumber: 65001 }),
    ]);
    expect(ds.bgpPeers.map((p) => p.spec.peerIP)).toEqual(['10.0.0.2']);
  });

  it('takes KDD nodes from their annotations, and a Calico Node of the same name over them', () => {
    const ds = datastoreFromObjects([
      meshOff,
      kddNode('rr-1', '10.10.1.5/24', { 'projectcalico.org/RouteReflectorClusterID': '224.0.0.1', 'projectcalico.org/ASNumber': '65102' }),
      kddNode('w-1', '10.10.1.21/24', {}, { rack: 'r1' }),
      { apiVersion: v3, kind: 'Node', metadata: { name: 'w-1' }, spec: { bgp: { ipv4Address: '10.10.2.21/24' } } },
      peer('to-rr', { nodeSelector: 'all()', peerSelector: 'has(rr)' }),
      peer('rr-clients', { node: 'rr-1', peerSelector: 'has(rack)' }),
    ]);
    const rr = nodeBirdConfig(ds, 'rr-1', 4, { readSecret: noSecrets });
    expect(rr).toMatchObject({ asNumber: '65102', routerId: '10.10.1.5', nodeIp: '10.10.1.5' });
    // w-1 keeps its KDD label and takes the Calico Node's address; in AS 65100 it is not a client.
    expect(rr.peers.map((p) => [p.name, p.asNumber, p.routeReflectorClusterId])).toEqual([['Node_10_10_2_21', '65100', '']]);
  });
});

describe('bad input', () => {
  it.each([
    [peer('p', { nodeSelector: "rack = 'r1'", peerIP: '10.0.0.1', asNumber: 65001 }), `BGPPeer p: spec.nodeSelector: selector "rack = 'r1'": unexpected character '=' at position 6`],
    [peer('p', { peerIP: '10.0.0.300', asNumber: 65001 }), 'BGPPeer p: spec.peerIP: "10.0.0.300" is not an IP address, IP:port or [IPv6]:port (or set peerSelector)'],
    [peer('p', { peerIP: '10.0.0.1', asNumber: 65001, reachableBy: 'fd00::1' }), 'BGPPeer p: spec.reachableBy: "fd00::1" is not an IPv4 address (the peer is 10.0.0.1)'],
    [peer('p', { peerIP: '10.0.0.1', asNumber: 65001, maxRestartTime: '2 minutes' }), 'BGPPeer p: spec.maxRestartTime: "2 minutes" is not a duration (for example 120s, 2m, 1h30m)'],
  ])('%#: %s', (object, message) => {
    expect(() => birdConfigFor(lab(object), 'w-1', { readSecret: noSecrets })).toThrow(message);
  });

  it('names the node it does not know, and the ones it does', () => {
    expect(() => birdConfigFor(lab(), 'w-9', { readSecret: noSecrets })).toThrow('node w-9 is not in the datastore (known nodes: cp-1, w-1)');
  });
});

describe('peerings', () => {
  it("writes a peer's password into bird.cfg only, and none when calico-node cannot read the Secret", () => {
    const canary = 'canary-Zq81-password';
    const ds = lab(peer('tor-a', { nodeSelector: "rack == 'r1'", peerIP: '10.10.1.1', asNumber: 65001, password: { secretKeyRef: { name: 'herd-bgp', key: 'tor-a' } } }));
    const files = birdConfigFor(ds, 'w-1', { readSecret: (ref) => (ref.name === 'herd-bgp' && ref.key === 'tor-a' ? canary : undefined) });
    expect(files['bird.cfg']).toContain(`  password "${canary}";`);
    expect(files['bird_aggr.cfg']).not.toContain(canary);
    expect(files['bird_ipam.cfg']).not.toContain(canary);
    expect(birdConfigFor(ds, 'w-1', { readSecret: noSecrets })['bird.cfg']).not.toContain('password');
  });

  it('sets next hop self or keep from nextHopMode, and keepOriginalNextHop only for eBGP peers', () => {
    const ds = lab(
      peer('a', { peerIP: '10.10.1.1', asNumber: 65001, nextHopMode: 'Self' }),
      peer('b', { peerIP: '10.10.1.2', asNumber: 65001, nextHopMode: 'Keep' }),
      peer('c', { peerIP: '10.10.1.3', asNumber: 65001, keepOriginalNextHop: true }),
      peer('d', { peerIP: '10.10.1.4', asNumber: 65101, keepOriginalNextHop: true }),
    );
    const peers = nodeBirdConfig(ds, 'w-1', 4, { readSecret: noSecrets }).peers;
    expect(peers.map((p) => [p.name, p.nextHopSelf, p.nextHopKeep, p.sameAs])).toEqual([
      ['Global_10_10_1_1', true, false, false],
      ['Global_10_10_1_2', false, true, false],
      ['Global_10_10_1_3', false, true, false],
      ['Global_10_10_1_4', false, false, true],
    ]);
  });

  it('writes keepalive and restart times in seconds', () => {
    const ds = lab(peer('a', { peerIP: '10.10.1.1', asNumber: 65001, keepaliveTime: '1m30s', maxRestartTime: '2m' }));
    expect(birdConfigFor(ds, 'w-1', { readSecret: noSecrets })['bird.cfg']).toContain('  graceful restart time 120;\n  keepalive time 90;\n');
  });
});

describe('service advertisement', () => {
  const config = { apiVersion: v3, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: false, serviceLoadBalancerIPs: [{ cidr: '10.20.0.0/24' }, { cidr: '10.21.0.7/32' }] } };
  const service = (name: string, spec: Record<string, unknown>, ingress: string[] = []): unknown => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'web' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ...spec },
    status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
  });
  const slice = (serviceName: string, node: string, address: string): unknown => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${serviceName}-x`, namespace: 'web', labels: { 'kubernetes.io/service-name': serviceName } },
    endpoints: [{ addresses: [address], nodeName: node }],
  });
  const routes = (...objects: unknown[]): readonly string[] =>
    nodeBirdConfig(datastoreFromObjects([config, kddNode('w-1', '10.10.1.21/24'), kddNode('w-2', '10.10.1.22/24'), ...objects]), 'w-1', 4, { readSecret: noSecrets }).serviceRoutes.advertised;

  it('advertises a range from every node, a single address only per Service', () => {
    expect(routes()).toEqual(['10.20.0.0/24']);
    expect(routes(service('cluster', { externalTrafficPolicy: 'Cluster' }, ['10.21.0.7']))).toEqual(['10.20.0.0/24', '10.21.0.7/32']);
  });

  it('advertises a Local Service only from a node with one of its endpoints', () => {
    const local = service('local', { externalTrafficPolicy: 'Local' }, ['10.20.0.5']);
    expect(routes(local, slice('local', 'w-2', '10.244.2.4'))).toEqual(['10.20.0.0/24']);
    expect(routes(local, slice('local', 'w-1', '10.244.1.4'))).toEqual(['10.20.0.0/24', '10.20.0.5/32']);
  });

  it('advertises nothing from a node excluded from load balancers, and still keeps the ranges out of its kernel', () => {
    const ds = datastoreFromObjects([config, kddNode('w-1', '10.10.1.21/24', {}, { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' })]);
    expect(nodeBirdConfig(ds, 'w-1', 4, { readSecret: noSecrets }).serviceRoutes).toEqual({ advertised: [], rejected: ['10.20.0.0/24'] });
  });
});

describe('names and values calico-node derives', () => {
  it('hashes a node name into a router ID outside the multicast range', () => {
    expect(hashToIPv4('kube-master')).toBe('25.79.212.8');
    // sha256("node-18") starts 245.194.139.227: the first byte is moved below 224.
    expect(hashToIPv4('node-18')).toBe('213.194.139.227');
  });

  it('cuts BGPFilter names that would make a BIRD symbol longer than 64 characters', () => {
    const name45 = 'a'.repeat(45);
    expect(truncateAndHashName(name45, 45)).toBe(name45);
    expect(truncateAndHashName(`${name45}b`, 45)).toMatch(/^a{28}_[0-9A-F]{16}$/);
  });

  it('writes a prefix-length match as a BIRD prefix set, within the CIDR and the address size', () => {
    expect(filterStatement({ action: 'Accept', matchOperator: 'In', cidr: '10.244.0.0/16', prefixLength: { min: 24, max: 28 } })).toBe('if ((net ~ [ 10.244.0.0/16{24,28} ])) then { accept; }');
    expect(filterStatement({ action: 'Reject', matchOperator: 'In', cidr: '10.244.0.0/16', prefixLength: { min: 8 } })).toBe('if ((net ~ [ 10.244.0.0/16{16,32} ])) then { reject; }');
  });

  it('reads Go durations', () => {
    expect([parseGoDuration('10s'), parseGoDuration('1m30s'), parseGoDuration('1.5h'), parseGoDuration('500ms')]).toEqual([10, 90, 5400, 0.5]);
    expect(() => parseGoDuration('10')).toThrow('"10" is not a duration');
  });
});
