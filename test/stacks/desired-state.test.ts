import { describe, expect, it } from 'vitest';
import { canonicalJson, desiredStateHash, hashDesiredState } from '../../stacks/desired-state.ts';
import { exampleCluster } from './synth.ts';
import { allArtifacts, renderCluster } from '../../templates/render.ts';

describe('desiredStateHash', () => {
  const prod = exampleCluster('prod');

  it('is a sha256 hex digest, the same for the same cluster', () => {
    expect(desiredStateHash(prod)).toMatch(/^[0-9a-f]{64}$/);
    expect(desiredStateHash(exampleCluster('prod'))).toBe(desiredStateHash(prod));
  });

  it('changes with the node list and with the spec', () => {
    const scaled = exampleCluster('prod', (spec) => {
      spec.workerPools[1]!.count += 1;
    });
    const upgraded = exampleCluster('prod', (spec) => {
      spec.kubernetes.version = '1.34.3';
    });
    expect(desiredStateHash(scaled)).not.toBe(desiredStateHash(prod));
    expect(desiredStateHash(upgraded)).not.toBe(desiredStateHash(prod));
  });

  it('ignores what does not reach the nodes: the description, the state backend', () => {
    const described = exampleCluster('prod', (spec) => {
      spec.description = 'another description';
    });
    const shared = exampleCluster('prod', (spec) => {
      spec.state = { type: 'pg', schemaName: 'ops_prod' };
    });
    expect(desiredStateHash(described)).toBe(desiredStateHash(prod));
    expect(desiredStateHash(shared)).toBe(desiredStateHash(prod));
  });

  it('holds secrets by reference only: their values do not change it', () => {
    const before = desiredStateHash(prod);
    process.env['PROD_TOR_BGP_PASSWORD'] = 'rotated-value';
    try {
      expect(desiredStateHash(exampleCluster('prod'))).toBe(before);
    } finally {
      delete process.env['PROD_TOR_BGP_PASSWORD'];
    }
  });

  it('covers every rendered file, in any order', () => {
    const a = { path: 'nodes/prod-cp-1/kubeadm.yaml', content: 'kind: InitConfiguration\n' };
    const b = { path: 'cluster/calico.yaml', content: 'kind: BGPPeer\n' };
    expect(hashDesiredState(prod, [a, b])).toBe(hashDesiredState(prod, [b, a]));
    expect(hashDesiredState(prod, [a, b])).not.toBe(desiredStateHash(prod));
    expect(hashDesiredState(prod, [a, { ...b, content: 'kind: BGPPeer\nx: 1\n' }])).not.toBe(hashDesiredState(prod, [a, b]));
    expect(hashDesiredState(prod, [])).not.toBe(desiredStateHash(prod));
    const rendered = allArtifacts(renderCluster(prod));
    expect(hashDesiredState(prod, rendered)).toBe(desiredStateHash(prod));
    expect(hashDesiredState(prod, rendered.map((f, i) => (i === 0 ? { ...f, content: `${f.content}#\n` } : f)))).not.toBe(desiredStateHash(prod));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"z":1}]},"b":1}');
  });
});
