import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../scripts/provisioner/context.ts';
import { parseFacts } from '../../scripts/provisioner/facts.ts';
import { describeUpgrade, pendingUpgrades, versionSkewIssues, workerBatchSize, workerBatches } from '../../scripts/provisioner/upgrade-plan.ts';
import { loadEnvironmentByName, type Environment } from '../../stacks/environment/load.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';

// What an upgrade plans from the facts alone: which nodes, in which order,
// with which kubeadm command, in which batches. The lab proves the doing
// (test/provisioner/upgrade.e2e.test.ts).

// dev: its addresses come from an allocation, so counts can change freely here.
const dev = loadEnvironmentByName('dev');

function withSpec(edit: (spec: Record<string, unknown>) => void): Environment {
  const spec = structuredClone(dev.spec) as unknown as Record<string, unknown>;
  edit(spec);
  return { ...dev, spec: spec as unknown as Environment['spec'] };
}

/** A context whose nodes all joined at these package versions, with these applied records. */
function context(env: Environment, versions: { kubernetes: string; containerd: string }, applied: Record<string, Record<string, string>> = {}): RunContext {
  const cluster = computeCluster(env);
  const facts = new Map(
    cluster.nodes.map((n) => {
      const lines = [
        'file:/etc/kubernetes/kubelet.conf=present',
        ...(n.role === 'controlPlane' ? ['file:/etc/kubernetes/admin.conf=present', 'file:/etc/kubernetes/manifests/kube-apiserver.yaml=present'] : []),
        ...['kubelet', 'kubeadm', 'kubectl'].map((p) => `package:${p}=${versions.kubernetes}`),
        `package:containerd.io=${versions.containerd}`,
        ...Object.entries(applied[n.name] ?? {}).map(([k, v]) => `applied:${k}=${v}`),
      ];
      return [n.name, parseFacts(lines.join('\n'), 0)] as const;
    }),
  );
  // Planning reads only the environment, the cluster and the facts.
  return { env, cluster, facts } as unknown as RunContext;
}

// dev runs what the table gives a new environment: Kubernetes 1.36.4, containerd 2.3.5.
const sameVersions = { kubernetes: '1.36.4-1.1', containerd: '2.3.5-1' };

describe('planning an upgrade', () => {
  it('plans nothing when every node runs the wanted versions', () => {
    expect(pendingUpgrades(context(dev, sameVersions))).toEqual([]);
  });

  it('runs kubeadm upgrade apply on the first control plane only, and node everywhere else', () => {
    const env = withSpec((s) => ((s['controlPlane'] as { count: number }).count = 3));
    const plan = pendingUpgrades(context(env, { kubernetes: '1.35.9-1.1', containerd: '2.3.5-1' }));
    expect(plan.map((u) => [u.node.name, u.kubeadm])).toEqual([
      ['dev-cp-1', 'apply'],
      ['dev-cp-2', 'node'],
      ['dev-cp-3', 'node'],
      ['dev-general-1', 'node'],
      ['dev-general-2', 'node'],
    ]);
  });

  it('once a control plane finished kubeadm upgrade for the version, the rest run upgrade node', () => {
    const ctx = context(dev, { kubernetes: '1.35.9-1.1', containerd: '2.3.5-1' }, { 'dev-cp-1': { 'kubeadm-upgraded': 'v1.36.4' } });
    // cp-1 still needs its kubelet, but kubeadm ran there already: no second upgrade apply.
    expect(pendingUpgrades(ctx).map((u) => [u.node.name, u.kubeadm ?? 'none'])).toEqual([
      ['dev-cp-1', 'none'],
      ['dev-general-1', 'node'],
      ['dev-general-2', 'node'],
    ]);
  });

  it('rolls a containerd change without kubeadm', () => {
    const [first] = pendingUpgrades(context(dev, { kubernetes: '1.36.4-1.1', containerd: '2.3.4-1' }));
    expect(first?.kubeadm).toBeUndefined();
    expect(describeUpgrade(first!, '1.36.4')).toBe('drain, containerd 2.3.4 → 2.3.5, uncordon when Ready');
  });

  it('says when containerd moves to a major that reads another config format', () => {
    const [first] = pendingUpgrades(context(dev, { kubernetes: '1.36.4-1.1', containerd: '1.7.31-1' }));
    expect(describeUpgrade(first!, '1.36.4')).toBe('drain, containerd 1.7.31 → 2.3.5 (its config rewritten as version 3 before the restart), uncordon when Ready');
  });

  it('resumes a node whose upgrade began and did not finish, even when its packages already match', () => {
    const target = 'kubernetes 1.36.4-1.1, containerd.io 2.3.5-*';
    const ctx = context(dev, sameVersions, { 'dev-general-2': { 'upgrade-started': target, 'kubeadm-upgraded': 'v1.36.4' } });
    const plan = pendingUpgrades(ctx);
    expect(plan.map((u) => u.node.name)).toEqual(['dev-general-2']);
    expect(describeUpgrade(plan[0]!, '1.36.4')).toBe('resume, drain, uncordon when Ready');
  });

  it('sizes worker batches as a count, or a percentage of each pool rounded down, at least one', () => {
    expect(workerBatchSize(3, 10)).toBe(3);
    expect(workerBatchSize('25%', 10)).toBe(2);
    expect(workerBatchSize('25%', 3)).toBe(1);
    expect(workerBatchSize('100%', 7)).toBe(7);
  });

  it('batches each pool on its own, in the file’s pool order', () => {
    const env = withSpec((s) => {
      s['workerPools'] = [
        { ...(s['workerPools'] as object[])[0], name: 'a', count: 3 },
        { ...(s['workerPools'] as object[])[0], name: 'b', count: 2 },
      ];
      s['upgrade'] = { workerBatchSize: '50%', drainTimeoutSeconds: 60 };
    });
    const ctx = context(env, { kubernetes: '1.35.9-1.1', containerd: '2.3.5-1' });
    const batches = workerBatches(ctx, pendingUpgrades(ctx)).map((b) => b.map((u) => u.node.name));
    expect(batches).toEqual([['dev-a-1'], ['dev-a-2'], ['dev-a-3'], ['dev-b-1'], ['dev-b-2']]);
  });

  it('lets containerd move to its next minor, or from an LTS to the next LTS, and refuses other steps', () => {
    const skew = (containerd: string): string[] => versionSkewIssues(context(dev, { kubernetes: '1.36.4-1.1', containerd })).map((i) => `${i.path}: ${i.message}`);
    expect(skew('2.3.1-1')).toEqual([]);
    expect(skew('2.2.5-1')).toEqual([]);
    expect(skew('1.7.31-1')).toEqual([]);
    expect(skew('2.1.4-1')).toEqual(['containerd.version: 2.3.5 skips release lines from the 2.1.4 that dev-cp-1, dev-general-1, dev-general-2 run; containerd upgrades to its next minor: set 2.2.x first']);
    expect(skew('2.0.7-1')).toEqual(['containerd.version: 2.3.5 skips release lines from the 2.0.7 that dev-cp-1, dev-general-1, dev-general-2 run; containerd upgrades to its next minor: set 2.1.x first']);
    const down = versionSkewIssues(context(withSpec((s) => ((s['containerd'] as { version: string }).version = '2.2.5')), { kubernetes: '1.36.4-1.1', containerd: '2.3.5-1' }));
    expect(down.map((i) => i.message)).toEqual(['2.2.5 is below the 2.3.5 that dev-cp-1, dev-general-1, dev-general-2 run; containerd does not downgrade to an older release line: set 2.3.x or later']);
  });
});
