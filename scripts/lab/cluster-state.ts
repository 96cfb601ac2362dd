import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, withLock, writeJson } from './simulators/lib/files.mjs';

/**
 * The simulated cluster that all hosts of one lab share: `state.json` in the
 * lab's cluster directory (bound into every host at /run/herd-lab/cluster).
 * The simulators (simulators/lib/cluster.mjs) write it under a lock file;
 * tests read it through Lab.clusterState().
 *
 * No secret value is kept: bootstrap tokens and the certificate key are kept
 * as SHA-256 digests, and every value of a Secret's `data` is replaced by
 * "sha256:<hex digest of the decoded value>". A test that needs to know a
 * Secret's content compares digests. The values themselves are kept sealed
 * (StoredResource.sealed, see simulators/lib/secret-store.mjs) for the
 * simulated calico-node, which gives BGP passwords to BIRD.
 */
export interface ClusterState {
  readonly schema: 1;
  /** null until `kubeadm init` succeeds, and again after the last control plane is reset. */
  readonly cluster: ClusterInfo | null;
  /** Every lab host a simulator ran on, by host name: its address and its kubelet. */
  readonly hosts: Readonly<Record<string, HostRecord>>;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
  readonly etcdMembers: readonly EtcdMember[];
  readonly bootstrapTokens: readonly BootstrapTokenRecord[];
  readonly certificateKey: { readonly sha256: string; readonly expires: string } | null;
  /** Applied objects by "<Kind>[.<group>]/<namespace>/<name>" (namespace empty for cluster-scoped ones). */
  readonly resources: Readonly<Record<string, StoredResource>>;
  /** Calico IPAM: the pod blocks nodes claimed, by CIDR (simulators/lib/ipam.mjs). */
  readonly ipam?: { readonly blocks: Readonly<Record<string, BlockClaim>> };
  /** What each node's simulated calico-node last reported, by node name. */
  readonly calicoNodes?: Readonly<Record<string, CalicoNodeReport>>;
}

export interface BlockClaim {
  readonly node: string;
  /** The IP pool's name. */
  readonly pool: string;
  readonly claimedAt: string;
}

export interface CalicoNodeReport {
  /** CalicoNodeStatus.status as calico-node writes it (agent, bgp), from BIRD's own state. */
  readonly status: Readonly<Record<string, unknown>>;
  /** The pod addresses calico-node's "pods" hold on the node, one per block. */
  readonly pods: readonly string[];
}

export interface ClusterInfo {
  readonly kubernetesVersion: string;
  /** host:port, or '' when the ClusterConfiguration set none. */
  readonly controlPlaneEndpoint: string;
  readonly clusterName: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly dnsDomain: string;
  readonly imageRepository: string;
  readonly proxyMode: string;
  readonly caCertPem: string;
  /** "sha256:<hex>", what --discovery-token-ca-cert-hash takes. */
  readonly caCertHash: string;
  readonly initializedOn: string;
  readonly initializedAt: string;
  readonly clusterConfiguration: Readonly<Record<string, unknown>>;
  readonly kubeletConfiguration: Readonly<Record<string, unknown>>;
  readonly kubeProxyConfiguration: Readonly<Record<string, unknown>>;
}

export interface HostRecord {
  readonly address: string;
  readonly kubelet: { readonly running: boolean; readonly version: string | null; readonly runtime?: string; readonly since: string };
  /** The containers the host runs, by pod: what a containerd restart must leave alone (simulators/lib/containers.mjs). */
  readonly containers?: Readonly<Record<string, { readonly id: string; readonly image: string; readonly startedAt: string }>>;
}

export interface NodeRecord {
  readonly name: string;
  /** The lab host the node joined from. */
  readonly host: string;
  readonly address: string;
  readonly controlPlane: boolean;
  /** Version of this node's control-plane components (kubeadm upgrade apply|node), control planes only. */
  readonly controlPlaneVersion: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
  readonly unschedulable: boolean;
  readonly createdAt: string;
  readonly uid: string;
}

export interface EtcdMember {
  /** Hexadecimal member ID, as etcdctl prints it. */
  readonly id: string;
  readonly name: string;
  readonly peerURL: string;
  readonly clientURL: string;
}

export interface BootstrapTokenRecord {
  /** The public half of the token ("abcdef" in abcdef.0123456789abcdef). */
  readonly id: string;
  readonly secretSha256: string;
  /** null: never expires (--ttl 0). */
  readonly expires: string | null;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
  readonly description: string;
  readonly createdAt: string;
}

export interface StoredResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The object as applied, plus the metadata the server adds (uid, creationTimestamp, generation). */
  readonly object: Readonly<Record<string, unknown>>;
  /** A Secret's values, each sealed to the lab's sealing key (never in clear). */
  readonly sealed?: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function readClusterState(clusterDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(clusterDir, 'state.json'), 'utf8')) as ClusterState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The key pair Secret values are sealed to (simulators/lib/secret-store.mjs):
 * sealing.pub for anyone on a host, sealing.key for root only. Made once per
 * cluster directory.
 */
export function ensureSealingKeys(clusterDir: string): void {
  const privateFile = join(clusterDir, 'sealing.key');
  if (existsSync(privateFile)) return;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(clusterDir, 'sealing.pub'), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/**
 * A host started afresh is a new machine: the kubelet the cluster knew on it
 * is gone, so its Node stops being Ready (as a real one does once its kubelet
 * stops posting status). Changed under the simulators' own lock.
 */
export function forgetHostMachine(clusterDir: string, host: string): void {
  const file = join(clusterDir, 'state.json');
  withLock(join(clusterDir, 'state.lock'), () => {
    const state = readJson<{ hosts?: Record<string, { kubelet?: { running: boolean; since: string } }> } | null>(file, null);
    const kubelet = state?.hosts?.[host]?.kubelet;
    if (state === null || kubelet === undefined || !kubelet.running) return;
    kubelet.running = false;
    kubelet.since = new Date().toISOString();
    writeJson(file, state, 0o666);
  });
}
