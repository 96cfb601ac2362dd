import type { ConfigIssue } from '../../stacks/environment/errors.ts';
import { kubernetesMinor } from '../../stacks/environment/versions.ts';
import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { containerdView } from '../../templates/containerd-view.ts';
import { kubernetesView } from '../../templates/kubernetes-view.ts';
import type { RunContext } from './context.ts';
import type { HostFacts } from './facts.ts';
import { membershipOf } from './membership.ts';

/** Records on each node (in its applied directory): the upgrade it began, and the one it finished. */
export const UPGRADE_STARTED = 'upgrade-started';
export const UPGRADE_FINISHED = 'upgrade';
/** What probe.sh reads back from the marker upgrade-node.sh writes once `kubeadm upgrade` succeeded. */
export const KUBEADM_UPGRADED = 'kubeadm-upgraded';

const KUBERNETES_PACKAGES = ['kubelet', 'kubeadm', 'kubectl'] as const;

export interface VersionChange {
  readonly from: string;
  readonly to: string;
}

/** One joined node that must roll to the environment's versions. */
export interface NodeUpgrade {
  readonly node: ClusterNode;
  /** Set when its Kubernetes packages differ: kubeadm upgrade, then kubelet and kubectl. */
  readonly kubernetes?: VersionChange;
  readonly containerd?: VersionChange;
  /** `kubeadm upgrade apply` (the first control plane of an upgrade) or `kubeadm upgrade node`; none for containerd alone. */
  readonly kubeadm?: 'apply' | 'node';
  /** A run that began this node's upgrade stopped before it was done (it may be cordoned). */
  readonly resuming: boolean;
}

/** The versions the environment wants on every node, as recorded in the started/finished markers. */
export function upgradeTarget(ctx: RunContext): string {
  const containerd = containerdView(ctx.cluster);
  return `kubernetes ${kubernetesView(ctx.cluster).packageVersion}, ${containerd.packageName} ${containerd.packagePattern}`;
}

const joined = (facts: HostFacts): boolean => facts.files.has('/etc/kubernetes/kubelet.conf');

/** Upstream version of a Debian package version: 1.34.2-1.1 → 1.34.2. */
const upstream = (packageVersion: string): string => packageVersion.replace(/-[^-]*$/, '');

function kubernetesChange(ctx: RunContext, facts: HostFacts): VersionChange | undefined {
  const want = kubernetesView(ctx.cluster).packageVersion;
  const installed = KUBERNETES_PACKAGES.map((p) => facts.packages.get(p));
  if (installed.every((v) => v === want)) return undefined;
  return { from: facts.packages.get('kubelet') ?? 'none', to: want };
}

function containerdChange(ctx: RunContext, facts: HostFacts): VersionChange | undefined {
  const { packageName, version, packagePattern } = containerdView(ctx.cluster);
  const installed = facts.packages.get(packageName);
  if (installed === undefined || installed.startsWith(`${version}-`)) return undefined;
  return { from: installed, to: packagePattern };
}

/**
 * Joined nodes whose versions differ from the environment's, or whose upgrade a
 * stopped run left unfinished: control planes first, in cluster order (the
 * first of them runs `kubeadm upgrade apply` unless a control plane already
 * did for this version), then workers in cluster order. Nodes that have not
 * joined get the new versions when prepared; they are not upgraded.
 */
export function pendingUpgrades(ctx: RunContext): NodeUpgrade[] {
  const target = upgradeTarget(ctx);
  const kubernetesVersion = `v${ctx.cluster.spec.kubernetes.version}`;
  const factsOf = (name: string): HostFacts | undefined => ctx.facts.get(name);
  let clusterUpgraded = ctx.cluster.controlPlanes.some((cp) => factsOf(cp.name)?.applied.get(KUBEADM_UPGRADED) === kubernetesVersion);
  const upgrades: NodeUpgrade[] = [];
  for (const node of [...ctx.cluster.controlPlanes, ...ctx.cluster.workers]) {
    const facts = factsOf(node.name);
    if (facts === undefined || !joined(facts) || membershipOf(ctx, node).kind !== 'member') continue;
    const kubernetes = kubernetesChange(ctx, facts);
    const containerd = containerdChange(ctx, facts);
    const started = facts.applied.get(UPGRADE_STARTED);
    const resuming = started === target && facts.applied.get(UPGRADE_FINISHED) !== target;
    if (kubernetes === undefined && containerd === undefined && !resuming) continue;
    let kubeadm: NodeUpgrade['kubeadm'];
    // upgrade-node.sh records each finished `kubeadm upgrade`: a resumed node does not plan it again.
    if ((kubernetes !== undefined || resuming) && facts.applied.get(KUBEADM_UPGRADED) !== kubernetesVersion) {
      kubeadm = node.role === 'controlPlane' && !clusterUpgraded ? 'apply' : 'node';
      if (kubeadm === 'apply') clusterUpgraded = true;
    }
    upgrades.push({ node, resuming, ...(kubernetes ? { kubernetes } : {}), ...(containerd ? { containerd } : {}), ...(kubeadm ? { kubeadm } : {}) });
  }
  return upgrades;
}

/** How many of a pool's workers are upgraded at once: the count, or the percentage of the pool rounded down, at least one. */
export function workerBatchSize(setting: number | string, poolCount: number): number {
  if (typeof setting === 'number') return setting;
  return Math.max(1, Math.floor((poolCount * Number(setting.replace('%', ''))) / 100));
}

/** Workers' upgrades in batches: pool by pool in the file's order, each pool's in batches of its batch size. */
export function workerBatches(ctx: RunContext, upgrades: readonly NodeUpgrade[]): NodeUpgrade[][] {
  const batches: NodeUpgrade[][] = [];
  for (const pool of ctx.cluster.spec.workerPools) {
    const size = workerBatchSize(ctx.cluster.spec.upgrade.workerBatchSize, pool.count);
    const inPool = upgrades.filter((u) => u.node.role === 'worker' && u.node.pool === pool.name);
    for (let i = 0; i < inPool.length; i += size) batches.push(inPool.slice(i, i + size));
  }
  return batches;
}

/** What `herd plan` says a node's upgrade does, in the order it does it. */
export function describeUpgrade(u: NodeUpgrade, kubernetesVersion: string): string {
  const parts: string[] = [];
  if (u.resuming) parts.push('resume');
  if (u.kubeadm !== undefined) parts.push(u.kubeadm === 'apply' ? `kubeadm upgrade apply v${kubernetesVersion}` : 'kubeadm upgrade node');
  parts.push('drain');
  if (u.kubernetes !== undefined) parts.push(`kubelet and kubectl ${upstream(u.kubernetes.from)} → ${upstream(u.kubernetes.to)}`);
  if (u.containerd !== undefined) parts.push(`containerd ${upstream(u.containerd.from)} → ${upstream(u.containerd.to)}`);
  parts.push('uncordon when Ready');
  return parts.join(', ');
}

/**
 * Version changes kubeadm cannot make, checked against what the joined nodes
 * run before anything is changed: more than one minor up, or any step down.
 */
export function versionSkewIssues(ctx: RunContext): ConfigIssue[] {
  const want = ctx.cluster.spec.kubernetes.version;
  const wantMinor = kubernetesMinor(want);
  const nodesByVersion = new Map<string, string[]>();
  for (const node of ctx.cluster.nodes) {
    const facts = ctx.facts.get(node.name);
    const installed = facts !== undefined && joined(facts) ? facts.packages.get('kubelet') : undefined;
    if (installed !== undefined) nodesByVersion.set(upstream(installed), [...(nodesByVersion.get(upstream(installed)) ?? []), node.name]);
  }
  const issues: ConfigIssue[] = [];
  for (const [running, nodes] of nodesByVersion) {
    const runningMinor = kubernetesMinor(running);
    const where = `the ${running} that ${nodes.join(', ')} ${nodes.length === 1 ? 'runs' : 'run'}`;
    let message: string | undefined;
    if (wantMinor > runningMinor + 1) {
      const steps = Array.from({ length: wantMinor - runningMinor - 1 }, (_, i) => `1.${runningMinor + i + 1}.x`);
      message = `${want} is ${wantMinor - runningMinor} minor versions above ${where}; kubeadm upgrades one minor at a time: set ${[...steps, want].join(', then ')}, applying each in turn`;
    } else if (compareVersions(want, running) < 0) {
      message = `${want} is below ${where}; kubeadm does not downgrade: set ${running} or later`;
    }
    if (message !== undefined) issues.push({ file: ctx.env.file, path: 'kubernetes.version', message });
  }
  return issues;
}

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) {
    const d = (pa![i] ?? 0) - (pb![i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
