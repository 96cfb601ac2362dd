import { describe, expect, it } from 'vitest';
import { changedAttributes, diffInstances, exampleCluster, instances, synthJson } from './synth.ts';

// Capacity is a number: changing a pool's count must add or remove exactly the
// node at the end of the pool and leave every other resource as it was, apart
// from the reconcile trigger, the vSphere preflight's trigger (a capacity
// change is checked against vCenter first) and, for a pool with a DRS rule,
// that rule's member list. Checked on every pool of every example, up and down.

const POOLS: ReadonlyArray<readonly [env: string, poolIndex: number]> = [
  ['lab', 0],
  ['dev', 0],
  ['prod', 0],
  ['prod', 1],
];

/** The addresses Terraform would plan for one node. */
function nodeAddresses(env: string, node: string): string[] {
  const hook = `terraform_data.node_removal["${node}"]`;
  return env === 'lab' ? [hook] : [hook, `vsphere_virtual_machine.node_${node}`].sort();
}

interface Scaled {
  readonly before: ReturnType<typeof synthJson>;
  readonly after: ReturnType<typeof synthJson>;
  readonly pool: string;
  readonly count: number;
  /** What may change besides the added or removed node: the reconcile and preflight triggers, and the pool's DRS rule if it has one. */
  readonly expectedChanged: string[];
}

function scaled(env: string, poolIndex: number, delta: number): Scaled {
  const base = exampleCluster(env);
  const pool = base.spec.workerPools[poolIndex]!;
  const after = exampleCluster(env, (spec) => {
    spec.workerPools[poolIndex]!.count += delta;
  });
  const rule = pool.antiAffinity ? [`vsphere_compute_cluster_vm_anti_affinity_rule.anti_affinity_${env}-${pool.name}`] : [];
  const preflight = env === 'lab' ? [] : ['terraform_data.preflight'];
  return { before: synthJson(base), after: synthJson(after), pool: pool.name, count: pool.count, expectedChanged: ['terraform_data.reconcile', ...preflight, ...rule].sort() };
}

describe('scaling a worker pool', () => {
  it.each(POOLS)('%s workerPools[%i] +1 adds exactly the next node and changes only the reconcile trigger', (env, poolIndex) => {
    const { before, after, pool, count, expectedChanged } = scaled(env, poolIndex, +1);
    const diff = diffInstances(before, after);
    expect(diff.added).toEqual(nodeAddresses(env, `${env}-${pool}-${count + 1}`));
    expect(diff.removed).toEqual([]);
    expect(diff.changed).toEqual(expectedChanged);
    expect(changedAttributes(before, after, 'terraform_data.reconcile')).toEqual(env === 'lab' ? ['triggers_replace'] : ['depends_on', 'triggers_replace']);
  });

  it.each(POOLS)('%s workerPools[%i] -1 removes exactly the highest-index node', (env, poolIndex) => {
    const { before, after, pool, count, expectedChanged } = scaled(env, poolIndex, -1);
    const diff = diffInstances(before, after);
    expect(diff.removed).toEqual(nodeAddresses(env, `${env}-${pool}-${count}`));
    expect(diff.added).toEqual([]);
    expect(diff.changed).toEqual(expectedChanged);
  });

  it("a pool's DRS rule gains exactly the new VM, appended", () => {
    const { before, after } = scaled('prod', 0, +1);
    const rule = 'vsphere_compute_cluster_vm_anti_affinity_rule.anti_affinity_prod-general-a';
    expect(changedAttributes(before, after, rule)).toEqual(['virtual_machine_ids']);
    const ids = (json: ReturnType<typeof synthJson>): string[] => (instances(json).get(rule) as { virtual_machine_ids: string[] }).virtual_machine_ids;
    expect(ids(after)).toEqual([...ids(before), '${vsphere_virtual_machine.node_prod-general-a-7.id}']);
  });

  it('the reconcile trigger changes when the count changes, and only then', () => {
    const trigger = (json: ReturnType<typeof synthJson>): unknown => (instances(json).get('terraform_data.reconcile') as { triggers_replace: unknown }).triggers_replace;
    const { before, after } = scaled('lab', 0, +1);
    expect(trigger(after)).not.toEqual(trigger(before));
    expect(trigger(synthJson(exampleCluster('lab')))).toEqual(trigger(before));
  });

  it('a pool scaled from 0 adds only its nodes: its pool tag already exists', () => {
    const base = exampleCluster('dev', (spec) => {
      spec.workerPools[0]!.count = 0;
    });
    const one = exampleCluster('dev', (spec) => {
      spec.workerPools[0]!.count = 1;
    });
    const diff = diffInstances(synthJson(base), synthJson(one));
    expect(diff.added).toEqual(nodeAddresses('dev', 'dev-general-1'));
    expect(diff.changed).toEqual(['terraform_data.preflight', 'terraform_data.reconcile']);
  });
});
