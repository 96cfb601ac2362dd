import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironment, loadEnvironmentByName, type Environment } from '../../stacks/environment/load.ts';
import { computeCluster, type ClusterNode } from '../../stacks/topology/topology.ts';

function withPoolCount(env: Environment, poolIndex: number, delta: number): Environment {
  const workerPools = env.spec.workerPools.map((p, i) => (i === poolIndex ? { ...p, count: p.count + delta } : p));
  return { ...env, spec: { ...env.spec, workerPools } };
}

function withControlPlaneCount(env: Environment, count: 1 | 3 | 5): Environment {
  return { ...env, spec: { ...env.spec, controlPlane: { ...env.spec.controlPlane, count } } };
}

const byName = (nodes: readonly ClusterNode[]): Map<string, ClusterNode> => new Map(nodes.map((n) => [n.name, n]));

describe('topology', () => {
  const prod = loadEnvironmentByName('prod');

  it('names and addresses the prod nodes deterministically', () => {
    const first = computeCluster(prod);
    expect(computeCluster(prod)).toEqual(first);
    expect(first.nodes.map((n) => `${n.name} ${n.address} ${n.asNumber}${n.routeReflector ? ' rr' : ''}`)).toMatchSnapshot();
    expect(first.apiEndpoint).toEqual({ host: '10.40.0.10', port: 6443 });
  });

  it.each(prod.spec.workerPools.map((p, i) => [p.name, i] as const))('+1 on pool %s adds exactly the next node and moves nobody', (pool, i) => {
    const before = byName(computeCluster(prod).nodes);
    const after = byName(computeCluster(withPoolCount(prod, i, +1)).nodes);
    const added = [...after.keys()].filter((n) => !before.has(n));
    expect(added).toEqual([`prod-${pool}-${prod.spec.workerPools[i]!.count + 1}`]);
    for (const [name, node] of before) expect(after.get(name)).toEqual(node);
    const newNode = after.get(added[0]!)!;
    expect([...before.values()].map((n) => n.address)).not.toContain(newNode.address);
  });

  it.each(prod.spec.workerPools.map((p, i) => [p.name, i] as const))('-1 on pool %s removes exactly its highest index', (pool, i) => {
    const before = byName(computeCluster(prod).nodes);
    const after = byName(computeCluster(withPoolCount(prod, i, -1)).nodes);
    const removed = [...before.keys()].filter((n) => !after.has(n));
    expect(removed).toEqual([`prod-${pool}-${prod.spec.workerPools[i]!.count}`]);
    for (const [name, node] of after) expect(before.get(name)).toEqual(node);
  });

  it('3 → 5 control planes adds cp-4 and cp-5 without moving any worker', () => {
    const before = byName(computeCluster(prod).nodes);
    const after = byName(computeCluster(withControlPlaneCount(prod, 5)).nodes);
    expect([...after.keys()].filter((n) => !before.has(n))).toEqual(['prod-cp-4', 'prod-cp-5']);
    for (const [name, node] of before) expect(after.get(name)).toEqual(node);
  });

  it('places rack, AS number and labels from the pool', () => {
    const nodes = byName(computeCluster(prod).nodes);
    expect(nodes.get('prod-general-b-3')).toMatchObject({
      rack: 'r2',
      asNumber: 65102,
      routeReflector: false,
      labels: { workload: 'general', 'herd.io/pool': 'general-b', 'herd.io/rack': 'r2' },
    });
    expect(nodes.get('prod-general-b-1')).toMatchObject({ routeReflector: true, labels: { 'herd.io/rack': 'r2', 'herd.io/route-reflector': 'true' } });
    expect(nodes.get('prod-cp-2')).toMatchObject({ role: 'controlPlane', routeReflector: true, labels: { 'herd.io/route-reflector': 'true' } });
  });

  it('a pinned address wins over allocation', () => {
    const pinned = { ...prod, spec: { ...prod.spec, network: { ...prod.spec.network, addresses: { 'prod-general-a-2': '10.40.2.250' } } } };
    expect(byName(computeCluster(pinned).nodes).get('prod-general-a-2')?.address).toBe('10.40.2.250');
  });

  it('a static environment takes each node’s address from its host', () => {
    const lab = computeCluster(loadEnvironmentByName('lab'));
    expect(lab.nodes.map((n) => [n.name, n.address])).toEqual([
      ['lab-cp-1', '198.18.10.11'],
      ['lab-worker-1', '198.18.10.21'],
      ['lab-worker-2', '198.18.10.22'],
    ]);
  });

  it('validates and computes a 1,000-node environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-topology-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(
      file,
      stringify({
        infrastructure: { type: 'vsphere', datacenter: 'dc', computeCluster: 'c', datastore: 'd', folder: 'f', network: 'n', template: 't' },
        network: { cidr: '10.64.0.0/20', gateway: '10.64.0.1', allocation: { start: '10.64.0.10', end: '10.64.15.250', poolSize: 500 } },
        controlPlane: { count: 5, endpoint: { type: 'loadBalancer', address: '10.64.0.5' } },
        workerPools: [
          { name: 'a', count: 500, rack: 'r1' },
          { name: 'b', count: 495, rack: 'r2' },
        ],
        kubernetes: { version: '1.36.4', podCidr: '10.128.0.0/14' },
        containerd: { version: '2.3.5' },
        calico: {
          version: '3.32.1',
          // An AS per rack: the mesh is off and every node peers with the data centre's spine.
          bgp: { asNumber: 4200000000, nodeToNodeMesh: false, rackAsNumbers: { r1: 4200000001, r2: 4200000002 }, peers: [{ name: 'spine', address: '10.64.0.2', asNumber: 65000 }] },
        },
        ssh: { user: 'debian', agent: true, authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+ ops@example.com'] },
      }),
    );
    const cluster = computeCluster(loadEnvironment(file));
    expect(cluster.nodes).toHaveLength(1000);
    expect(new Set(cluster.nodes.map((n) => n.address)).size).toBe(1000);
    expect(cluster.nodes.at(-1)).toMatchObject({ name: 'big-b-495', address: '10.64.3.241', asNumber: 4200000002 });
  });
});
