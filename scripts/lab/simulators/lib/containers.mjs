// The containers a lab host runs: what "running pods kept" means on a node. The kubelet starts
// a container for each static pod in /etc/kubernetes/manifests and for kube-proxy (a DaemonSet)
// once the node has joined, and replaces one whose image changed (kubeadm upgrade writes new
// manifests). Containers belong to their shims, not to containerd: with KillMode=process in
// containerd.service (as its packages ship it), stopping or restarting containerd leaves them
// running, and containerd reattaches to them when it starts; without it, systemd kills the whole
// control group, and the kubelet starts new ones (new IDs).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJson } from './files.mjs';
import { RUNTIME_DIR } from './paths.mjs';

const CONTAINERS_FILE = join(RUNTIME_DIR, 'containers.json');
const MANIFESTS_DIR = '/etc/kubernetes/manifests';
const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

export function readContainers() {
  return readJson(CONTAINERS_FILE, {});
}

function writeContainers(containers) {
  writeJson(CONTAINERS_FILE, containers);
}

/** Pod name → image the kubelet should run on this host, for a cluster at `clusterVersion`. */
function desiredPods(cluster) {
  const pods = {};
  if (existsSync(MANIFESTS_DIR)) {
    for (const file of readdirSync(MANIFESTS_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const image = /^\s*(?:-\s+)?image:\s*(\S+)/m.exec(readFileSync(join(MANIFESTS_DIR, file), 'utf8'))?.[1];
      if (image) pods[file.replace(/\.yaml$/, '')] = image;
    }
  }
  if (cluster && existsSync(KUBELET_CONF)) pods['kube-proxy'] = `${cluster.imageRepository}/kube-proxy:${cluster.kubernetesVersion}`;
  return pods;
}

/** The kubelet's sync: start what is missing or changed, stop what is no longer wanted. Returns the containers. */
export function syncContainers(cluster) {
  const containers = readContainers();
  const desired = desiredPods(cluster);
  let changed = false;
  for (const [pod, image] of Object.entries(desired)) {
    if (containers[pod]?.image === image) continue;
    containers[pod] = { id: randomBytes(32).toString('hex'), image, startedAt: new Date().toISOString() };
    changed = true;
  }
  for (const pod of Object.keys(containers)) {
    if (desired[pod] === undefined) {
      delete containers[pod];
      changed = true;
    }
  }
  if (changed) writeContainers(containers);
  return containers;
}

/** systemd stopping containerd: its shims, and so the containers, go too unless KillMode=process. */
export function containerdStopped(unitText) {
  if (/^\s*KillMode\s*=\s*process\s*$/m.test(unitText ?? '')) return;
  writeContainers({});
}

/** kubeadm reset removes every container of the node through the CRI. */
export function removeAllContainers() {
  writeContainers({});
}
