import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  applyYamlFile,
  datastoreFromObjects,
  withoutObject,
  type CalicoDatastore,
  type LocalWorkloadPeering,
  type ReadSecret,
} from '../../scripts/lab/calico-node/index.ts';

// Calico's confd test cases as replays: the datastore each case ends up with, the node confd
// ran as, its CALICO_ROUTER_ID, the Secrets it could read, and the expected output directory.
// Cases with an input in mock_data/ are applied as Calico's test script applies them (the KDD
// nodes and IPAM blocks first, then input.yaml and kubectl-input.yaml, then step2/input.yaml on
// top); the others come from the inputs the scripts wrote inline (fixtures/confd/inline/).

export const CONFD_TESTS = resolve(import.meta.dirname, '../../../shared/reference/calico-v3.32.1/confd-tests');
export const EXPECTED_DIR = join(CONFD_TESTS, 'compiled_templates');
const MOCK_DATA = join(CONFD_TESTS, 'mock_data', 'calicoctl');
const FIXTURES = resolve(import.meta.dirname, 'fixtures', 'confd');
export const INLINE_INPUTS = join(FIXTURES, 'inline');

/** Every file under a directory, recursively, whose name `keep` accepts. */
export function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return filesUnder(path, keep);
      return keep(entry) ? [path] : [];
    });
}

export interface ReplayCase {
  /** The expected output's directory under compiled_templates/. */
  readonly expected: string;
  readonly source: 'mock_data' | 'inline';
  readonly node: string;
  readonly routerId?: string;
  readonly datastore: CalicoDatastore;
  readonly readSecret: ReadSecret;
}

type Secrets = Readonly<Record<string, Readonly<Record<string, string>>>>;

function secretReader(secrets: Secrets): ReadSecret {
  return (ref) => secrets[ref.name]?.[ref.key];
}

const noSecrets = secretReader({});

/** The three KDD nodes and kube-master's IPAM blocks every case starts from. */
function kddBase(): CalicoDatastore {
  return applyYamlFile(join(FIXTURES, 'kdd', 'ipam.yaml'), applyYamlFile(join(FIXTURES, 'kdd', 'nodes.yaml')));
}

const apply = (base: CalicoDatastore, ...files: string[]): CalicoDatastore => files.reduce((ds, f) => applyYamlFile(f, ds), base);
const inline = (path: string): string => join(INLINE_INPUTS, path);

// Calico's script runs these two cases with CALICO_ROUTER_ID set.
const ROUTER_IDS: Readonly<Record<string, string>> = { 'mesh/hash': 'hash', 'mesh/static-routes-no-ipv4-address': '10.10.10.10' };

function mockDataCases(): ReplayCase[] {
  const inputs = filesUnder(MOCK_DATA, (name) => name === 'input.yaml').filter((f) => basename(dirname(f)) !== 'step2');
  return inputs.flatMap((input) => {
    const dir = dirname(input);
    const name = relative(MOCK_DATA, dir);
    const kubectl = join(dir, 'kubectl-input.yaml');
    const datastore = apply(kddBase(), input, ...(existsSync(kubectl) ? [kubectl] : []));
    const routerId = ROUTER_IDS[name];
    const base = { source: 'mock_data' as const, node: 'kube-master', readSecret: noSecrets, ...(routerId ? { routerId } : {}) };
    const step2 = join(dir, 'step2', 'input.yaml');
    return [{ ...base, expected: name, datastore }, ...(existsSync(step2) ? [{ ...base, expected: `${name}/step2`, datastore: apply(datastore, step2) }] : [])];
  });
}

/** etcd-mode cases: no Kubernetes Nodes; kube-master's blocks are in the datastore all the same. */
function etcdBase(): CalicoDatastore {
  return applyYamlFile(join(FIXTURES, 'kdd', 'ipam.yaml'));
}

function simple(expected: string, file: string): ReplayCase {
  return { expected, source: 'inline', node: 'kube-master', datastore: apply(kddBase(), inline(file)), readSecret: noSecrets };
}

function passwordCases(): ReplayCase[] {
  // test_bgp_password: the Secrets change between the steps; the resources do not.
  const datastore = apply(etcdBase(), inline('password/peers.yaml'));
  const steps: Secrets[] = [
    {},
    { 'my-secrets-1': { b: 'password-b' } },
    { 'my-secrets-1': { a: 'password-a', b: 'password-b' }, 'my-secrets-2': { c: 'password-c' } },
    { 'my-secrets-1': { a: 'password-a', b: 'password-b' } },
    { 'my-secrets-1': { a: 'new-password-a', b: 'new-password-b' } },
    { 'my-secrets-1': { b: 'new-password-b' } },
  ];
  return steps.map((secrets, i) => ({ expected: `password/step${i + 1}`, source: 'inline', node: 'node1', datastore, readSecret: secretReader(secrets) }));
}

function meshPasswordCases(): ReplayCase[] {
  // test_node_mesh_bgp_password compares step1 three times: before the Secret exists, when it
  // lacks key a, and after it is deleted.
  const datastore = apply(kddBase(), inline('mesh/password.yaml'));
  const steps: Array<[string, Secrets]> = [
    ['mesh/password/step1', {}],
    ['mesh/password/step2', { 'my-secrets-1': { a: 'password-a' } }],
    ['mesh/password/step3', { 'my-secrets-1': { a: 'new-password-a' } }],
    ['mesh/password/step1', { 'my-secrets-1': { b: 'password-b' } }],
  ];
  return steps.map(([expected, secrets]) => ({ expected, source: 'inline', node: 'kube-master', datastore, readSecret: secretReader(secrets) }));
}

function passwordDeadlockCase(): ReplayCase {
  // test_bgp_password_deadlock: 99 nodes, each with a BGPPeer to node2 using one Secret.
  const objects: unknown[] = [{ apiVersion: 'projectcalico.org/v3', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: false } }];
  for (let i = 1; i <= 99; i++) {
    objects.push(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: `node${i}`, labels: { 'kubernetes.io/hostname': `node${i}` } } },
      { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: `node${i}`, labels: { node: 'true' } }, spec: { bgp: { ipv4Address: `10.24.0.${i}/24` } } },
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'BGPPeer',
        metadata: { name: `bgppeer-${i}` },
        spec: { node: `node${i}`, peerIP: '10.24.0.2', asNumber: 64512, password: { secretKeyRef: { name: 'my-secrets-1', key: 'a' } } },
      },
    );
  }
  return {
    expected: 'password-deadlock',
    source: 'inline',
    node: 'node1',
    datastore: datastoreFromObjects(objects, { base: kddBase() }),
    readSecret: secretReader({ 'my-secrets-1': { a: 'password-a' } }),
  };
}

function sourceAddressCases(): ReplayCase[] {
  const step1 = apply(etcdBase(), inline('sourceaddr_gracefulrestart/step1.yaml'));
  const step2 = apply(step1, inline('sourceaddr_gracefulrestart/step2.yaml'));
  const step3 = apply(step2, inline('sourceaddr_gracefulrestart/step3.yaml'));
  return [step1, step2, step3].map((datastore, i) => ({ expected: `sourceaddr_gracefulrestart/step${i + 1}`, source: 'inline', node: 'node1', datastore, readSecret: noSecrets }));
}

function filterDeletionCases(): ReplayCase[] {
  const step1 = apply(kddBase(), inline('bgpfilter/filter_deletion.yaml'));
  return [
    { expected: 'bgpfilter/filter_deletion/step1', source: 'inline', node: 'kube-master', datastore: step1, readSecret: noSecrets },
    { expected: 'bgpfilter/filter_deletion/step2', source: 'inline', node: 'kube-master', datastore: withoutObject(step1, 'bgpFilters', 'test-filter'), readSecret: noSecrets },
  ];
}

function localBgpPeerCase(): ReplayCase {
  // The endpoint-status files the test writes for two workloads on kube-master.
  const workloads: LocalWorkloadPeering[] = [
    { node: 'kube-master', bgpPeerName: 'test-global-peer-with-filter', ipv4Nets: ['192.168.162.134/32'], ipv6Nets: ['fd00:10:244:0:586d:4461:e980:a284/128'] },
    { node: 'kube-master', bgpPeerName: 'test-node-peer-with-filter', ipv4Nets: ['192.168.162.136/32'], ipv6Nets: ['fd00:10:244:0:586d:4461:e980:a286/128'] },
  ];
  const datastore = apply(kddBase(), inline('explicit_peering/local_bgp_peer.yaml'));
  return { expected: 'explicit_peering/local_bgp_peer', source: 'inline', node: 'kube-master', datastore: { ...datastore, localWorkloads: workloads }, readSecret: noSecrets };
}

const SIMPLE_INLINE = [
  'ttl_security/explicit_node',
  'ttl_security/peer_selector',
  'ttl_security/global',
  'ignored_interfaces',
  'reachable_by/global_peers',
  'reachable_by/route_reflectors',
  'next_hop_mode/global_peers',
  'next_hop_mode/route_reflectors',
  'reverse_peering/manual',
  'reverse_peering/auto',
  'felix_cluster_routing',
  'bgpfilter/single_filter/global_peer',
  'bgpfilter/single_filter/explicit_peer',
  'bgpfilter/multi_filter/global_peer',
  'bgpfilter/multi_filter/explicit_peer',
  'bgpfilter/node_mesh',
  'bgpfilter/filter_names',
  'bgpfilter/match_operators',
  'bgpfilter/match_source',
  'bgpfilter/match_interface',
  'bgpfilter/import_only/explicit_peer',
  'bgpfilter/import_only/global_peer',
  'bgpfilter/export_only/explicit_peer',
  'bgpfilter/export_only/global_peer',
  'bgpfilter/v4_only/explicit_peer',
  'bgpfilter/v4_only/global_peer',
  'bgpfilter/v6_only/explicit_peer',
  'bgpfilter/v6_only/global_peer',
  'bgpfilter/as_path_and_priority',
  'bgpfilter/communities_and_operations',
  'bgpfilter/kubevirt_live_migration',
  'bgpfilter/large_community',
  'bgpfilter/peer_type',
];

export function replayCases(): ReplayCase[] {
  return [
    ...mockDataCases(),
    ...SIMPLE_INLINE.map((name) => simple(name, `${name}.yaml`)),
    ...filterDeletionCases(),
    localBgpPeerCase(),
    ...meshPasswordCases(),
    ...passwordCases(),
    passwordDeadlockCase(),
    ...sourceAddressCases(),
  ];
}

export const BIRD_FILES = ['bird.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg'] as const;
