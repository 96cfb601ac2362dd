// The table of versions herd itself reads (stacks/versions/versions.yaml), for the simulators:
// which Kubernetes patches pkgs.k8s.io offers per minor, which containerd.io builds Docker's
// repository offers, the pause image and config API each kubeadm minor uses, the containerd
// each kubelet minor runs on, and the config format each containerd major reads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SIMULATORS_DIR } from './paths.mjs';

/** Inside a lab host the table is bound next to the lab's code; outside, it is the repository's. */
const TABLE_FILES = [join(SIMULATORS_DIR, '..', '..', 'versions', 'versions.yaml'), join(SIMULATORS_DIR, '..', '..', '..', 'stacks', 'versions', 'versions.yaml')];

let table;
export function versionTable() {
  table ??= parse(readFileSync(TABLE_FILES.find((f) => existsSync(f)) ?? TABLE_FILES[0], 'utf8'));
  return table;
}

export const minorKey = (version) => String(version).replace(/^v/, '').split('.').slice(0, 2).join('.');

export function compareVersions(a, b) {
  const [pa, pb] = [a, b].map((v) => String(v).replace(/^v/, '').split('.').map(Number));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The table's entry for a Kubernetes minor ("1.36", "v1.36.4" or "1.36.4-1.1"), or undefined. */
export function kubernetesMinor(version) {
  return versionTable().kubernetes.minors[minorKey(version)];
}

/** Patch releases a minor's repository offers: x.y.0 up to the newest patch the table knows. */
export function kubernetesPatches(minor) {
  const info = kubernetesMinor(minor);
  if (!info) return [];
  const newest = Number(String(info.newestPatch).split('.')[2]);
  return Array.from({ length: newest + 1 }, (_, p) => `${minor}.${p}`);
}

/** containerd.io builds Docker's repository offers: every patch of every line in the table. */
export function containerdReleases() {
  return Object.values(versionTable().containerd.lines).flatMap((line) => {
    const [major, minor, newest] = String(line.newestPatch).split('.').map(Number);
    return Array.from({ length: newest + 1 }, (_, p) => `${major}.${minor}.${p}`);
  });
}

/** Whether the kubelet of this version runs on this containerd (false for a minor or containerd the table does not know). */
export function kubeletRunsOn(kubeletVersion, containerdVersion) {
  const info = kubernetesMinor(kubeletVersion);
  if (!info || !containerdVersion) return false;
  const major = String(containerdVersion).split('.')[0];
  const minimum = info.containerd.find((m) => String(m).split('.')[0] === major);
  return minimum !== undefined && compareVersions(containerdVersion, minimum) >= 0;
}

/** Config file versions a containerd of this version reads. */
export function containerdReads(containerdVersion) {
  return versionTable().containerd.configVersions[String(containerdVersion).split('.')[0]]?.reads ?? [];
}

/** The newest Kubernetes release the table knows: what a tool reports when no package says otherwise. */
export function newestKubernetes() {
  return Object.values(versionTable().kubernetes.minors)
    .map((m) => String(m.newestPatch))
    .sort(compareVersions)
    .at(-1);
}
