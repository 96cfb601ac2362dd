import { describe, expect, it } from 'vitest';
import { nodesInScope, rollBatches } from '../../scripts/provisioner/roll/scope.ts';
import { exampleCluster } from '../stacks/synth.ts';

// Which nodes a roll replaces, and in what order: checked against prod
// (3 control planes, pools general-a and general-b of 6) and dev (1 + 2).

const names = (batches: { name: string }[][]): string[][] => batches.map((b) => b.map((n) => n.name));

describe('the order of a roll', () => {
  it('control planes first, one at a time, then each pool in batches of upgrade.workerBatchSize', () => {
    const prod = exampleCluster('prod', (spec) => (spec.upgrade.workerBatchSize = 4));
    expect(names(rollBatches(prod, prod.nodes))).toEqual([
      ['prod-cp-1'],
      ['prod-cp-2'],
      ['prod-cp-3'],
      ['prod-general-a-1', 'prod-general-a-2', 'prod-general-a-3', 'prod-general-a-4'],
      ['prod-general-a-5', 'prod-general-a-6'],
      ['prod-general-b-1', 'prod-general-b-2', 'prod-general-b-3', 'prod-general-b-4'],
      ['prod-general-b-5', 'prod-general-b-6'],
    ]);
  });

  it('a percentage is of each pool, rounded down, at least one; only the nodes asked for', () => {
    const prod = exampleCluster('prod', (spec) => (spec.upgrade.workerBatchSize = '50%'));
    const chosen = nodesInScope(prod, { pools: ['general-b'], nodes: [] });
    expect(names(rollBatches(prod, chosen))).toEqual([
      ['prod-general-b-1', 'prod-general-b-2', 'prod-general-b-3'],
      ['prod-general-b-4', 'prod-general-b-5', 'prod-general-b-6'],
    ]);
    const single = exampleCluster('prod', (spec) => (spec.upgrade.workerBatchSize = '10%'));
    expect(rollBatches(single, nodesInScope(single, { pools: ['general-a'], nodes: [] })).every((b) => b.length === 1)).toBe(true);
  });
});

describe('what a roll may take', () => {
  it('refuses an unknown pool, naming the pools', () => {
    expect(() => nodesInScope(exampleCluster('prod'), { pools: ['general-c'], nodes: [] })).toThrow(
      'prod has no pool named general-c; its pools are cp, general-a, general-b (cp: the control planes)\nNothing was changed.',
    );
  });

  it('refuses an unknown node', () => {
    expect(() => nodesInScope(exampleCluster('prod'), { pools: [], nodes: ['prod-general-a-9'] })).toThrow('prod has no node named prod-general-a-9; `herd nodes prod` lists them');
  });

  it('refuses the only control plane, saying how to roll the workers', () => {
    const dev = exampleCluster('dev');
    expect(() => nodesInScope(dev, { pools: [], nodes: [] })).toThrow(
      "dev-cp-1 is the only control plane: replacing it would take etcd's only member, and with it the cluster's state and CA key. Raise controlPlane.count to 3 and apply first, or leave the control plane out (--pool general).",
    );
    expect(() => nodesInScope(dev, { pools: [], nodes: ['dev-cp-1'] })).toThrow('dev-cp-1 is the only control plane');
    expect(nodesInScope(dev, { pools: ['general'], nodes: [] }).map((n) => n.name)).toEqual(['dev-general-1', 'dev-general-2']);
  });
});
