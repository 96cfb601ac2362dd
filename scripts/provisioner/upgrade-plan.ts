import type { ConfigIssue } from '../../stacks/environment/errors.ts';
import { compareVersions, containerdConfigFormat, containerdLines, defaultVersions, kubernetesMinorInfo, minorOf, newClusterMinors } from '../../stacks/versions/table.ts';
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
  if (u.containerd !== undefined) {
    const [from, to] = [upstream(u.containerd.from), upstream(u.containerd.to)];
    const format = containerdConfigFormat(to).writes;
    const rewritten = containerdConfigFormat(from).writes !== format ? ` (its config rewritten as version ${format} before the restart)` : '';
    parts.push(`containerd ${from} → ${to}${rewritten}`);
  }
  parts.push('uncordon when Ready');
  return parts.join(', ');
}

/** Joined nodes grouped by the upstream version of a package they run. */
function joinedNodesBy(ctx: RunContext, packageName: string): Map<string, string[]> {
  const nodesByVersion = new Map<string, string[]>();
  for (const node of ctx.cluster.nodes) {
    const facts = ctx.facts.get(node.name);
    const installed = facts !== undefined && joined(facts) ? facts.packages.get(packageName) : undefined;
    if (installed !== undefined) nodesByVersion.set(upstream(installed), [...(nodesByVersion.get(upstream(installed)) ?? []), node.name]);
  }
  return nodesByVersion;
}

const runBy = (running: string, nodes: readonly string[]): string => `the ${running} that ${nodes.join(', ')} ${nodes.length === 1 ? 'runs' : 'run'}`;

/**
 * Version changes kubeadm and containerd cannot make, checked against what the
 * joined nodes run before anything is changed: Kubernetes more than one minor
 * up, or any step down; containerd past its next minor (or, from an LTS, past
 * the next LTS), or down to an older line.
 */
export function versionSkewIssues(ctx: RunContext): ConfigIssue[] {
  const want = ctx.cluster.spec.kubernetes.version;
  const wantMinor = minorNumber(want);
  const issues: ConfigIssue[] = [];
  for (const [running, nodes] of joinedNodesBy(ctx, 'kubelet')) {
    const runningMinor = minorNumber(running);
    const where = runBy(running, nodes);
    let message: string | undefined;
    if (wantMinor > runningMinor + 1) {
      const steps = Array.from({ length: wantMinor - runningMinor - 1 }, (_, i) => `1.${runningMinor + i + 1}.x`);
      message = `${want} is ${wantMinor - runningMinor} minor versions above ${where}; kubeadm upgrades one minor at a time: set ${[...steps, want].join(', then ')}, applying each in turn`;
    } else if (compareVersions(want, running) < 0) {
      message = `${want} is below ${where}; kubeadm does not downgrade: set ${running} or later`;
    }
    if (message !== undefined) issues.push({ file: ctx.env.file, path: 'kubernetes.version', message });
  }
  const containerd = ctx.cluster.spec.containerd;
  for (const [running, nodes] of joinedNodesBy(ctx, containerd.packageName)) {
    const message = containerdStepIssue(running, containerd.version, runBy(running, nodes));
    if (message !== undefined) issues.push({ file: ctx.env.file, path: 'containerd.version', message });
  }
  return issues;
}

/**
 * containerd supports an upgrade to its next minor release and, from an LTS, to the next LTS
 * (RELEASES.md "Upgrade Path"; "direct upgrades between sequential LTS releases (e.g., 1.7 to 2.3)",
 * containerd 2.3.0's release notes), and no step down to an older line.
 */
function containerdStepIssue(running: string, want: string, where: string): string | undefined {
  const [from, to] = [minorOf(running), minorOf(want)];
  const lines = containerdLines().reverse();
  const at = lines.findIndex((l) => l.line === from);
  if (from === to || at === -1) return undefined;
  if (compareVersions(to, from) < 0) return `${want} is below ${where}; containerd does not downgrade to an older release line: set ${from}.x or later`;
  const next = lines[at + 1];
  const nextLts = lines[at]!.lts ? lines.slice(at + 1).find((l) => l.lts) : undefined;
  if (to === next?.line || to === nextLts?.line) return undefined;
  const allowed = [next, nextLts].filter((l) => l !== undefined).map((l) => `${l.line}.x`);
  return `${want} skips release lines from ${where}; containerd upgrades to its next minor${nextLts ? ', or from one LTS to the next' : ''}: set ${allowed.join(' or ')} first`;
}

/** 36 of 1.36.4: kubeadm's one-minor rule counts minors. */
const minorNumber = (v: string): number => Number(minorOf(v).split('.')[1]);

/**
 * A cluster that does not exist yet is built only on a minor upstream still patches (as of the
 * table's review): older minors are accepted only where a cluster already runs them, as the
 * starting point of an upgrade, unless the operator rehearses such an upgrade on purpose.
 */
export function newClusterIssues(ctx: RunContext, options: { allowEndOfLife: boolean }): ConfigIssue[] {
  const running = ctx.cluster.nodes.some((n) => {
    const facts = ctx.facts.get(n.name);
    return facts !== undefined && joined(facts);
  });
  if (options.allowEndOfLife || running) return [];
  const want = ctx.cluster.spec.kubernetes.version;
  const fresh = newClusterMinors();
  const minor = kubernetesMinorInfo(want);
  if (minor === undefined || fresh.some((m) => m.minor === minor.minor)) return [];
  const suggested = defaultVersions();
  return [
    {
      file: ctx.env.file,
      path: 'kubernetes.version',
      message: `no node runs Kubernetes yet, so this is a new cluster, and Kubernetes ${minor.minor} reached its end of life on ${minor.endOfLife}: herd builds new clusters on ${fresh.map((m) => m.minor).join(', ')}; set ${suggested.kubernetes} (with containerd ${suggested.containerd}), or pass --allow-end-of-life to rehearse an upgrade from ${minor.minor}`,
    },
  ];
}
