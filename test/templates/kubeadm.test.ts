import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubernetesMinorInfo } from '../../stacks/versions/table.ts';
import { ALL_CASES, clusterOf, renderedCase } from './cases.ts';

/** The config kinds kubeadm reads with --config, per API version, for every minor in herd's table of versions (1.31–1.37). */
const KUBEADM_ACCEPTS: Readonly<Record<string, readonly string[]>> = {
  'kubeadm.k8s.io/v1beta4': ['InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration', 'ResetConfiguration', 'UpgradeConfiguration'],
  'kubelet.config.k8s.io/v1beta1': ['KubeletConfiguration'],
  'kubeproxy.config.k8s.io/v1alpha1': ['KubeProxyConfiguration'],
};

function kubeadmDocuments(name: string, file: string) {
  return renderedCase(name)
    .nodes.flatMap((n) => n.artifacts)
    .filter((a) => a.path.endsWith(`/kubeadm/${file}`))
    .map((a) => ({
      path: a.path,
      docs: parseAllDocuments(a.content).map((doc) => {
        expect(doc.errors, a.path).toEqual([]);
        return doc.toJS() as Record<string, unknown> & { apiVersion: string; kind: string };
      }),
    }));
}

describe.each(ALL_CASES)('kubeadm configuration of %s', (name) => {
  it('is YAML of apiVersion/kind pairs kubeadm accepts for the pinned version', () => {
    const minor = kubernetesMinorInfo(clusterOf(name).spec.kubernetes.version);
    expect(minor?.kubeadmApi).toBe('kubeadm.k8s.io/v1beta4');
    for (const { path, docs } of [...kubeadmDocuments(name, 'init.yaml'), ...kubeadmDocuments(name, 'join.yaml')]) {
      for (const doc of docs) expect(KUBEADM_ACCEPTS[doc.apiVersion] ?? [], `${path}: ${doc.apiVersion} ${doc.kind}`).toContain(doc.kind);
    }
  });

  it('gives the first control plane all four init documents and every node, the first included, one JoinConfiguration', () => {
    const cluster = clusterOf(name);
    const init = kubeadmDocuments(name, 'init.yaml');
    expect(init.map((i) => i.path)).toEqual([`${cluster.controlPlanes[0]!.name}/kubeadm/init.yaml`]);
    expect(init[0]!.docs.map((d) => d.kind)).toEqual(['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration']);
    const joins = kubeadmDocuments(name, 'join.yaml');
    expect(joins).toHaveLength(cluster.nodes.length);
    for (const join of joins) expect(join.docs.map((d) => d.kind)).toEqual(['JoinConfiguration']);
  });

  it('leaves the join secrets as placeholders, and asks for a certificate key only from control planes', () => {
    const cluster = clusterOf(name);
    for (const { path, docs } of kubeadmDocuments(name, 'join.yaml')) {
      const join = docs[0] as unknown as { discovery: { bootstrapToken: { token: string; caCertHashes: string[] } }; controlPlane?: { certificateKey: string } };
      expect(join.discovery.bootstrapToken.token).toBe('@@KUBEADM_JOIN_TOKEN@@');
      expect(join.discovery.bootstrapToken.caCertHashes).toEqual(['@@KUBEADM_CA_CERT_HASH@@']);
      const node = cluster.nodes.find((n) => path.startsWith(`${n.name}/`))!;
      expect(join.controlPlane?.certificateKey, path).toBe(node.role === 'controlPlane' ? '@@KUBEADM_CERTIFICATE_KEY@@' : undefined);
    }
  });
});

describe('kubeadm settings from the environment', () => {
  it('prod: load-balancer endpoint, SANs for every control plane, IPVS, the image mirror', () => {
    const [init] = kubeadmDocuments('prod', 'init.yaml');
    const cluster = init!.docs.find((d) => d.kind === 'ClusterConfiguration') as Record<string, unknown>;
    expect(cluster['controlPlaneEndpoint']).toBe('10.40.0.10:6443');
    expect(cluster['imageRepository']).toBe('registry.dc1.example.com/k8s');
    expect((cluster['apiServer'] as { certSANs: string[] }).certSANs).toEqual(['10.40.0.10', '10.40.0.20', 'prod-cp-1', '10.40.0.21', 'prod-cp-2', '10.40.0.22', 'prod-cp-3']);
    expect(init!.docs.find((d) => d.kind === 'KubeProxyConfiguration')!['mode']).toBe('ipvs');
  });

  it('kube-vip: control planes tolerate the pre-placed static pod, workers do not need to', () => {
    const registration = (path: string) =>
      ([...kubeadmDocuments('kube-vip', 'init.yaml'), ...kubeadmDocuments('kube-vip', 'join.yaml')].find((d) => d.path === path)!.docs[0] as unknown as {
        nodeRegistration: { ignorePreflightErrors?: string[]; taints?: unknown[] };
      }).nodeRegistration;
    expect(registration('kube-vip-cp-1/kubeadm/init.yaml').ignorePreflightErrors).toEqual(['DirAvailable--etc-kubernetes-manifests']);
    expect(registration('kube-vip-cp-2/kubeadm/join.yaml').ignorePreflightErrors).toEqual(['DirAvailable--etc-kubernetes-manifests']);
    expect(registration('kube-vip-worker-1/kubeadm/join.yaml').ignorePreflightErrors).toBeUndefined();
    expect(registration('kube-vip-worker-1/kubeadm/join.yaml').taints).toEqual([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);
  });

  it('kube-vip: labels the kubelet may not set itself are left to the node’s Calico file', () => {
    const [join] = kubeadmDocuments('kube-vip', 'join.yaml').filter((d) => d.path.startsWith('kube-vip-worker-1/'));
    const args = (join!.docs[0] as unknown as { nodeRegistration: { kubeletExtraArgs: { name: string; value: string }[] } }).nodeRegistration.kubeletExtraArgs;
    expect(args.find((a) => a.name === 'node-labels')!.value).toBe('herd.io/pool=worker,tier=gold');
    const nodes = renderedCase('kube-vip').cluster.artifacts.find((a) => a.path === 'cluster/calico/nodes/kube-vip-worker-1.yaml')!.content;
    expect(nodes).toContain('node-role.kubernetes.io/worker: ""');
  });
});
