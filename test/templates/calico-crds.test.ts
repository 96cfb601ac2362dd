import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { minorOf } from '../../stacks/versions/table.ts';
import { ALL_CASES, EXAMPLE_CASES, clusterOf, renderedCase } from './cases.ts';
import { loadCrdValidator, type CrdValidator } from './crd-validator.ts';
import { KUBERNETES_SCHEMA_MINOR, validateKubernetesObject } from './kubernetes-validator.ts';

// Every object herd renders for the API server is checked strictly (unknown fields are errors):
// Calico's against Calico's CRDs, Kubernetes' own (the kube-vip static pod, the Node objects, the
// BGP passwords' Role and RoleBinding) against the Kubernetes API's OpenAPI definitions.
// Not API objects, and so not here: kubeadm's InitConfiguration, ClusterConfiguration and
// JoinConfiguration and the KubeletConfiguration and KubeProxyConfiguration kubeadm passes on are
// read by kubeadm and the components themselves, never stored by the API server (kubeadm.test.ts
// checks their kinds). The BGP passwords' Secret is built on the node by `kubectl create secret`,
// not rendered by herd.

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

/** API groups of Calico's resources and its operator's. */
const CALICO_GROUPS = new Set(['projectcalico.org', 'crd.projectcalico.org', 'operator.tigera.io']);
/** API groups of the configuration kubeadm reads from files. */
const KUBEADM_CONFIG_GROUPS = new Set(['kubeadm.k8s.io', 'kubelet.config.k8s.io', 'kubeproxy.config.k8s.io']);

function group(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** Every YAML document of every file herd renders for a case, with the file it is in. */
function renderedObjects(name: string): { file: string; resource: Resource }[] {
  const rendered = renderedCase(name);
  return [...rendered.nodes.flatMap((n) => n.artifacts), ...rendered.cluster.artifacts]
    .filter((a) => a.path.endsWith('.yaml'))
    .flatMap((a) =>
      parseAllDocuments(a.content)
        .map((doc) => {
          expect(doc.errors, a.path).toEqual([]);
          return { file: a.path, resource: doc.toJS() as Resource };
        })
        .filter(({ resource }) => resource !== null),
    );
}

function calicoResources(name: string): { file: string; resource: Resource }[] {
  return renderedObjects(name).filter(({ resource }) => CALICO_GROUPS.has(group(resource.apiVersion)));
}

function kubernetesObjects(name: string): { file: string; resource: Resource }[] {
  return renderedObjects(name).filter(({ resource }) => !CALICO_GROUPS.has(group(resource.apiVersion)) && !KUBEADM_CONFIG_GROUPS.has(group(resource.apiVersion)));
}

let crds: CrdValidator;
beforeAll(() => {
  crds = loadCrdValidator();
});

describe.each(ALL_CASES)('API objects of %s', (name) => {
  it('Calico resources validate against Calico v3.32.1’s CRD schemas, unknown fields included', () => {
    const checked: string[] = [];
    for (const { file, resource } of calicoResources(name)) {
      expect(crds.validate(resource), `${file}: ${resource.apiVersion} ${resource.kind} ${resource.metadata.name}`).toEqual([]);
      checked.push(resource.kind);
    }
    expect(checked).toContain('Installation');
    expect(checked).toContain('BGPConfiguration');
  });

  it(`Kubernetes objects validate against the Kubernetes 1.${KUBERNETES_SCHEMA_MINOR} API's OpenAPI definitions, unknown fields included`, () => {
    const checked = new Set<string>();
    for (const { file, resource } of kubernetesObjects(name)) {
      expect(validateKubernetesObject(resource), `${file}: ${resource.apiVersion} ${resource.kind} ${resource.metadata.name}`).toEqual([]);
      checked.add(resource.kind);
    }
    expect(checked).toContain('Node');
    const cluster = clusterOf(name);
    if (cluster.spec.controlPlane.endpoint.type === 'kubeVip') expect(checked).toContain('Pod');
    if (cluster.spec.calico.bgp.peers.some((p) => p.passwordFrom !== undefined)) expect([...checked]).toEqual(expect.arrayContaining(['Role', 'RoleBinding']));
  });

  it('renders kubeadm’s own configuration only into kubeadm’s files', () => {
    for (const { file, resource } of renderedObjects(name)) {
      if (KUBEADM_CONFIG_GROUPS.has(group(resource.apiVersion))) expect(file).toMatch(/\/kubeadm\/(init|join)\.yaml$/);
    }
  });
});

describe('the Kubernetes schema', () => {
  it.each(EXAMPLE_CASES)('is at most two minors older than the one %s installs', (name) => {
    // @kubernetes/client-node 1.4 is the newest release generated from a Kubernetes API (1.34); the v1 objects
    // herd renders keep every field within a major version, so an older schema can only miss a field herd does
    // not use. Raise the package when a release generated from a newer minor exists.
    const installed = Number(minorOf(clusterOf(name).spec.kubernetes.version).split('.')[1]);
    expect(installed - KUBERNETES_SCHEMA_MINOR).toBeGreaterThanOrEqual(0);
    expect(installed - KUBERNETES_SCHEMA_MINOR).toBeLessThanOrEqual(2);
  });
});

describe('the Kubernetes object check', () => {
  const kubeVip = () => kubernetesObjects('kube-vip').find((r) => r.resource.kind === 'Pod')!.resource as unknown as { spec: { containers: Record<string, unknown>[]; hostNetwork: unknown } };
  const node = () => kubernetesObjects('prod').find((r) => r.resource.kind === 'Node')!.resource as unknown as { metadata: Record<string, unknown> };

  it('fails a misspelt field of the kube-vip static pod (imagePullPolicy)', () => {
    const pod = kubeVip();
    pod.spec.containers[0]!['imagePulPolicy'] = pod.spec.containers[0]!['imagePullPolicy'];
    delete pod.spec.containers[0]!['imagePullPolicy'];
    expect(validateKubernetesObject(pod)).toEqual(['/spec/containers/0 must NOT have additional properties "imagePulPolicy"']);
  });

  it('fails a misspelt field of a Node (label for labels)', () => {
    const n = node();
    n.metadata['label'] = n.metadata['labels'];
    delete n.metadata['labels'];
    expect(validateKubernetesObject(n)).toEqual(['/metadata must NOT have additional properties "label"']);
  });

  it('fails a value of the wrong type', () => {
    const pod = kubeVip();
    pod.spec.hostNetwork = 'true';
    expect(validateKubernetesObject(pod)).toEqual(['/spec/hostNetwork must be boolean']);
  });

  it('refuses a kind the API does not have', () => {
    expect(() => validateKubernetesObject({ apiVersion: 'v1', kind: 'Nodes' })).toThrow(/the Kubernetes 1.34 API has no v1 Nodes/);
  });
});

describe('the CRD check', () => {
  const peer = () => calicoResources('prod').find((r) => r.resource.kind === 'BGPPeer')!.resource as unknown as { spec: Record<string, unknown> };

  it('fails a misspelt field (peerIp for peerIP)', () => {
    const resource = peer();
    resource.spec['peerIp'] = resource.spec['peerIP'];
    delete resource.spec['peerIP'];
    expect(crds.validate(resource)).toEqual(['/spec must NOT have additional properties "peerIp"']);
  });

  it('fails a misspelt field deep inside the Installation', () => {
    const installation = calicoResources('prod').find((r) => r.resource.kind === 'Installation')!.resource as unknown as {
      spec: { calicoNetwork: { nodeAddressAutodetectionV4: Record<string, unknown> } };
    };
    installation.spec.calicoNetwork.nodeAddressAutodetectionV4['cidr'] = ['10.40.0.0/22'];
    expect(crds.validate(installation)).toEqual(['/spec/calicoNetwork/nodeAddressAutodetectionV4 must NOT have additional properties "cidr"']);
  });

  it('fails a value outside an enum', () => {
    const resource = peer();
    resource.spec['nextHopMode'] = 'Sometimes';
    expect(crds.validate(resource)).toEqual(['/spec/nextHopMode must be equal to one of the allowed values']);
  });

  it('reads Go’s (?i) patterns case-insensitively', () => {
    const config = calicoResources('prod').find((r) => r.resource.kind === 'BGPConfiguration')!.resource as unknown as { spec: Record<string, unknown> };
    config.spec['logSeverityScreen'] = 'warning';
    expect(crds.validate(config)).toEqual([]);
    config.spec['logSeverityScreen'] = 'Loud';
    expect(crds.validate(config)).toEqual(['/spec/logSeverityScreen must match pattern "^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$"']);
  });

  it('checks CIDR formats', () => {
    const config = calicoResources('prod').find((r) => r.resource.kind === 'BGPConfiguration')!.resource as unknown as { spec: { serviceClusterIPs: { cidr: string }[] } };
    config.spec.serviceClusterIPs[0]!.cidr = '10.96.0.0/33';
    expect(crds.validate(config)).toEqual(['/spec/serviceClusterIPs/0/cidr must match format "cidr"']);
  });

  it('refuses a kind no CRD defines', () => {
    expect(() => crds.validate({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPear' })).toThrow(/no CRD in .* defines projectcalico.org\/v3 BGPPear/);
  });
});
