// Files kubeadm writes on a node, and removes on reset.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { renderKubeconfig } from './kubeconfig.mjs';
import { kubernetesMinor } from './versions.mjs';

export const KUBERNETES_DIR = '/etc/kubernetes';
export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
export const KUBELET_DIR = '/var/lib/kubelet';
export const ETCD_DIR = '/var/lib/etcd';
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const CONTROL_PLANE_CONFS = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'];

function write(path, content, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
}

const ETCD_IMAGE_TAG = '3.6.5-0';

/** The pause image kubeadm of this version pulls and gives the kubelet (herd's table of versions). */
export function pauseImage(version, repository = 'registry.k8s.io') {
  return `${repository}/pause:${kubernetesMinor(version)?.pause ?? '3.10.1'}`;
}

export function images(version, repository) {
  return [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => `${repository}/${c}:${version}`),
    `${repository}/coredns/coredns:v1.12.1`,
    pauseImage(version, repository),
    `${repository}/etcd:${ETCD_IMAGE_TAG}`,
  ];
}

function staticPod(component, image, command) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { component, tier: 'control-plane' }, name: component, namespace: 'kube-system' },
    spec: { containers: [{ command, image, imagePullPolicy: 'IfNotPresent', name: component }], hostNetwork: true, priorityClassName: 'system-node-critical' },
  });
}

/** The control plane's static pod manifests for a version. */
export function writeControlPlaneManifests(cluster, node, version) {
  const repo = cluster.imageRepository;
  const peer = `https://${node.address}:2380`;
  write(join(MANIFESTS_DIR, 'etcd.yaml'), staticPod('etcd', `${repo}/etcd:${ETCD_IMAGE_TAG}`, ['etcd', `--advertise-client-urls=https://${node.address}:2379`, `--initial-advertise-peer-urls=${peer}`, `--name=${node.name}`, '--data-dir=/var/lib/etcd']), 0o600);
  write(
    join(MANIFESTS_DIR, 'kube-apiserver.yaml'),
    staticPod('kube-apiserver', `${repo}/kube-apiserver:${version}`, ['kube-apiserver', `--advertise-address=${node.address}`, '--secure-port=6443', `--service-cluster-ip-range=${cluster.serviceSubnet}`, '--etcd-servers=https://127.0.0.1:2379']),
    0o600,
  );
  write(
    join(MANIFESTS_DIR, 'kube-controller-manager.yaml'),
    staticPod('kube-controller-manager', `${repo}/kube-controller-manager:${version}`, ['kube-controller-manager', `--cluster-cidr=${cluster.podSubnet}`, '--allocate-node-cidrs=true', `--cluster-name=${cluster.clusterName}`]),
    0o600,
  );
  write(join(MANIFESTS_DIR, 'kube-scheduler.yaml'), staticPod('kube-scheduler', `${repo}/kube-scheduler:${version}`, ['kube-scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf']), 0o600);
}

export function writeControlPlaneKubeconfigs(server, caPem, clusterName) {
  const users = { 'admin.conf': 'kubernetes-admin', 'super-admin.conf': 'kubernetes-super-admin', 'controller-manager.conf': 'system:kube-controller-manager', 'scheduler.conf': 'system:kube-scheduler' };
  for (const [file, user] of Object.entries(users)) write(join(KUBERNETES_DIR, file), renderKubeconfig({ server, caPem, user, clusterName }), 0o600);
}

export function writeKubeletFiles({ server, caPem, clusterName, nodeName, kubeletConfig, flags }) {
  write(KUBELET_CONF, renderKubeconfig({ server, caPem, user: `system:node:${nodeName}`, clusterName }), 0o600);
  write(join(KUBELET_DIR, 'config.yaml'), stringify(kubeletConfig, { sortMapEntries: true }), 0o644);
  write(join(KUBELET_DIR, 'kubeadm-flags.env'), `KUBELET_KUBEADM_ARGS="${flags.join(' ')}"\n`, 0o644);
  write(join(KUBELET_DIR, 'pki', 'kubelet-client-current.pem'), '# herd lab: simulated, not a real certificate or key\n', 0o600);
}

export function writeEtcdData(nodeName) {
  write(join(ETCD_DIR, 'member', 'snap', 'db'), `herd lab: simulated etcd data of ${nodeName}\n`, 0o600);
}

export function dirNotEmpty(path) {
  return existsSync(path) && readdirSync(path).length > 0;
}

/** What kubeadm reset deletes; returns whether anything was there. */
export function removeNodeFiles() {
  let removed = false;
  const clear = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      rmSync(join(dir, entry), { recursive: true, force: true });
      removed = true;
    }
  };
  clear(ETCD_DIR);
  clear(MANIFESTS_DIR);
  clear(KUBELET_DIR);
  clear(join(KUBERNETES_DIR, 'pki'));
  for (const file of [...CONTROL_PLANE_CONFS, 'kubelet.conf', 'bootstrap-kubelet.conf']) {
    const path = join(KUBERNETES_DIR, file);
    if (existsSync(path)) {
      rmSync(path);
      removed = true;
    }
  }
  return removed;
}
