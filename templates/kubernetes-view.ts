import type { Cluster, ClusterNode } from '../stacks/topology/topology.ts';
import { kubernetesMinorInfo, versionTable } from '../stacks/versions/table.ts';
import * as paths from './paths.ts';

// What the node scripts and kubeadm templates need, derived from the cluster model.

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

const BASE_MODULES = ['overlay', 'br_netfilter'];
/** kube-proxy's IPVS mode needs these; nf_conntrack is loaded by name since kernel 4.19. */
const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'];

const SYSCTLS: readonly KeyValue[] = [
  { key: 'net.bridge.bridge-nf-call-ip6tables', value: '1' },
  { key: 'net.bridge.bridge-nf-call-iptables', value: '1' },
  { key: 'net.ipv4.ip_forward', value: '1' },
];

/** Label keys the kubelet may not set on itself (NodeRestriction); herd applies those from the control plane instead. */
const KUBELET_FORBIDDEN_LABEL = /(^|[./])(kubernetes\.io|k8s\.io)\//;

export function kubernetesView(cluster: Cluster) {
  const k = cluster.spec.kubernetes;
  // The environment checks refuse a minor the table does not know, so this is found.
  const minor = kubernetesMinorInfo(k.version);
  if (minor === undefined) throw new Error(`Kubernetes ${k.version} is not in herd's table of versions`);
  const repository = `${k.packageRepository.replace(/\/+$/, '')}/v${minor.minor}/deb/`;
  return {
    version: k.version,
    minor: minor.minor,
    kubeadmApi: minor.kubeadmApi,
    packageVersion: `${k.version}-${versionTable().kubernetes.packageRevision}`,
    packageRepository: repository,
    packageKeyUrl: `${repository}Release.key`,
    imageRepository: k.imageRepository,
    podCidr: k.podCidr,
    serviceCidr: k.serviceCidr,
    dnsDomain: k.dnsDomain,
    proxyMode: k.proxyMode,
    modules: k.proxyMode === 'ipvs' ? [...BASE_MODULES, ...IPVS_MODULES] : BASE_MODULES,
    sysctls: SYSCTLS,
    pauseImage: `${k.imageRepository}/pause:${minor.pause}`,
  };
}

export function endpointView(cluster: Cluster) {
  const endpoint = cluster.spec.controlPlane.endpoint;
  const { host, port } = cluster.apiEndpoint;
  const sans = [host, ...cluster.controlPlanes.flatMap((n) => [n.address, n.name])];
  return {
    type: endpoint.type,
    host,
    port,
    address: `${host}:${port}`,
    certSans: [...new Set(sans)],
    kubeVip: endpoint.type === 'kubeVip' ? { address: endpoint.address, port: endpoint.port, interface: endpoint.interface, image: versionTable().kubeVip.image } : null,
  };
}

export function nodeRegistrationView(node: ClusterNode) {
  const labels = Object.entries(node.labels)
    .filter(([key]) => !KUBELET_FORBIDDEN_LABEL.test(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return {
    name: node.name,
    address: node.address,
    nodeLabels: labels.join(','),
    taints: node.taints.map((t) => ({ key: t.key, value: t.value ?? null, effect: t.effect })),
  };
}

export const pathsView = {
  herdDir: paths.HERD_DIR,
  secretsDir: paths.SECRETS_DIR,
  runtimeDir: paths.RUNTIME_DIR,
  kubeadmDir: paths.KUBEADM_DIR,
  calicoDir: paths.CALICO_DIR,
  containerdStagedConfig: paths.CONTAINERD_STAGED_CONFIG,
  kubeVipDir: paths.KUBE_VIP_DIR,
  staticPodDir: paths.STATIC_POD_DIR,
  adminKubeconfig: paths.ADMIN_KUBECONFIG,
  superAdminKubeconfig: paths.SUPER_ADMIN_KUBECONFIG,
  issuedSecretsDir: paths.ISSUED_SECRETS_DIR,
  joinSecrets: paths.JOIN_SECRETS,
  joinPlaceholders: paths.JOIN_PLACEHOLDERS,
  upgradedMarker: paths.KUBEADM_UPGRADED_MARKER,
  containerdRestartMarker: paths.CONTAINERD_RESTART_MARKER,
};
