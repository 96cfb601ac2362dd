import { describe, expect, it } from 'vitest';
import { availableSurge, surgeOf } from '../../stacks/topology/surge.ts';
import { surgeFor } from '../../scripts/provisioner/roll/surge.ts';
import { exampleCluster, instances, resource, synthJson, type Json } from './synth.ts';

// herd roll --surge: before a pool's first node leaves, a batch's worth of
// temporary workers at the top of the pool's address block; the stack holds
// their VMs, which exist only while the variable herd_surge names the pool.
// The vSphere provider cannot run here: this is the stack they make and the
// refusals; roll-terraform.e2e.test.ts has Terraform plan them.

describe('surge nodes', () => {
  it('take the top addresses of their pool’s block, as many as a batch takes away, with names no pool node can have', () => {
    const prod = exampleCluster('prod', (spec) => (spec.upgrade.workerBatchSize = 2));
    expect(availableSurge(prod).map((n) => [n.name, n.address, n.pool, n.rack])).toEqual([
      ['prod-general-a-surge1', '10.40.0.223', 'general-a', 'r1'],
      ['prod-general-a-surge2', '10.40.0.224', 'general-a', 'r1'],
      ['prod-general-b-surge1', '10.40.1.167', 'general-b', 'r2'],
      ['prod-general-b-surge2', '10.40.1.168', 'general-b', 'r2'],
    ]);
    const [surge] = availableSurge(prod);
    const sibling = prod.workers.find((n) => n.pool === 'general-a')!;
    expect({ ...surge, name: '', index: 0, address: '', labels: {} }).toEqual({ ...sibling, name: '', index: 0, address: '', labels: {} });
    expect(surge!.labels).toEqual(sibling.labels);
  });

  it('need room in the block: a pool that counts poolSize has none', () => {
    const full = exampleCluster('dev', (spec) => (spec.workerPools[0]!.count = 50));
    expect(surgeOf(full, 'general')).toEqual({ unavailable: 'pool general counts 50 of the 50 addresses of its block (network.allocation.poolSize), and surge needs 1 more, free at the top of the block' });
    expect(availableSurge(full)).toEqual([]);
    expect(() => surgeFor(full, ['general'])).toThrow('--surge cannot add machines here:\n  pool general: pool general counts 50 of the 50 addresses of its block');
  });

  it('exist only on vSphere', () => {
    expect(surgeOf(exampleCluster('lab'), 'worker')).toEqual({ unavailable: 'herd can add machines only on vSphere: static hosts exist before herd, and their count is what the file lists' });
  });

  it('are refused for a pool whose nodes peer with a load balancer that names each node (static neighbors)', () => {
    const prod = exampleCluster('prod', (spec) => {
      const f5 = spec.calico.bgp.peers.find((p) => p.name === 'f5-bigip')!;
      f5.nodes = { racks: ['r2'] };
    });
    expect(() => surgeFor(prod, ['general-a', 'general-b'])).toThrow(
      '--surge cannot add machines here:\n  pool general-b: its surge node would peer with f5-bigip, whose configuration names each node (static neighbors), so its session would not come up\nRoll that pool without --surge.',
    );
    expect(surgeFor(exampleCluster('prod'), ['general-a', 'general-b']).get('general-a')?.map((n) => n.name)).toEqual(['prod-general-a-surge1']);
  });
});

describe('the stack’s surge machines', () => {
  const dev = exampleCluster('dev');
  const json = synthJson(dev);

  it('one VM per surge node, which exists while herd_surge names its pool', () => {
    expect(json['variable']).toEqual({ herd_surge: { default: [], description: expect.stringContaining('herd roll --surge'), type: 'list(string)' } });
    const vm = resource(json, 'vsphere_virtual_machine', 'node_dev-general-surge1');
    expect(vm['count']).toBe('${contains(var.herd_surge, "general") ? 1 : 0}');
    expect((vm['extra_config'] as Json)['guestinfo.herd.machine']).toContain('dev-general-surge1 10.20.0.64/24');
    expect(vm['depends_on']).toContain('terraform_data.preflight');
  });

  it('a removal hook each, created and destroyed with it, that takes it out of the cluster before it goes', () => {
    const hook = resource(json, 'terraform_data', 'surge_removal');
    expect(hook['for_each']).toBe(
      '${{ for k, v in jsondecode("{\\"dev-general-surge1\\":{\\"name\\":\\"dev-general-surge1\\",\\"address\\":\\"10.20.0.64\\",\\"pool\\":\\"general\\"}}") : k => v if contains(var.herd_surge, v.pool) }}',
    );
    expect(hook['depends_on']).toEqual(['vsphere_virtual_machine.node_dev-general-surge1']);
    expect(JSON.stringify(hook['provisioner'])).toContain('node bin/herd.mjs node remove dev ${self.triggers_replace.name} --address ${self.triggers_replace.address}');
  });

  it('and nothing else counts them: not the machines output and check, the reconcile step, nor the node hooks', () => {
    expect(Object.keys(((json['output'] as Json)['machines'] as Json)['value'] as Json)).toEqual(dev.nodes.map((n) => n.name));
    expect(JSON.stringify(json['check'])).not.toContain('surge');
    expect(JSON.stringify(resource(json, 'terraform_data', 'reconcile'))).not.toContain('surge');
    expect([...instances(json).keys()].filter((a) => a.includes('node_removal['))).toEqual(dev.nodes.map((n) => `terraform_data.node_removal["${n.name}"]`));
  });

  it('static stacks have none', () => {
    const lab = synthJson(exampleCluster('lab'));
    expect(lab['variable']).toBeUndefined();
    expect(JSON.stringify(lab)).not.toContain('surge');
  });
});
