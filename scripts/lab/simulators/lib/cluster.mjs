// The lab's shared simulated cluster (types: scripts/lab/cluster-state.ts).
// One JSON document, changed only under a lock, written atomically, so that
// kubeadm and kubectl on different hosts see one consistent cluster.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, withLock, writeJson } from './files.mjs';
import { CLUSTER_DIR } from './paths.mjs';

const STATE_FILE = join(CLUSTER_DIR, 'state.json');
const LOCK = join(CLUSTER_DIR, 'state.lock');

export const EMPTY_CLUSTER = {
  schema: 1,
  cluster: null,
  hosts: {},
  nodes: {},
  etcdMembers: [],
  bootstrapTokens: [],
  certificateKey: null,
  resources: {},
};

/** The state file's identity: it is renamed over on every change, so a new one means a new state. */
export function clusterVersion() {
  try {
    const { ino, size, mtimeMs } = statSync(STATE_FILE);
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return undefined;
  }
}

export function readCluster() {
  return readJson(STATE_FILE, EMPTY_CLUSTER);
}

/**
 * Read-modify-write under the lab-wide lock. fn(state) may change state and
 * returns a result; returns { result, changed }.
 */
export function updateCluster(fn) {
  return withLock(LOCK, () => {
    const state = readCluster();
    const before = JSON.stringify(state);
    const result = fn(state);
    const changed = JSON.stringify(state) !== before;
    // Anyone with a kubeconfig may change the cluster, root or not.
    if (changed) writeJson(STATE_FILE, state, 0o666);
    return { result, changed };
  });
}

export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/** Records whether this host's kubelet runs, at which version, on which container runtime (nodes report both), and its containers. */
export function recordKubelet(state, host, running, version, runtime, containers) {
  const previous = state.hosts[host.name];
  const same = previous?.kubelet.running === running && previous?.kubelet.version === version && previous?.kubelet.runtime === runtime;
  state.hosts[host.name] = { address: host.address, kubelet: { running, version, runtime, since: same ? previous.kubelet.since : new Date().toISOString() }, containers };
}
