import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rollBatches, nodesInScope } from '../../scripts/provisioner/roll/scope.ts';
import { SynthesizedStack } from '../../scripts/provisioner/roll/stack.ts';
import { INIT_COMMAND, MACHINES_COMMAND, replaceCommands, unexpectedChanges } from '../../scripts/provisioner/roll/terraform.ts';
import type { Cluster } from '../../stacks/topology/topology.ts';
import { exampleCluster, synthText } from '../stacks/synth.ts';

// The vSphere provider cannot be downloaded here, so `herd roll` cannot run
// Terraform against prod's real stack: these are the exact commands it runs
// there, batch by batch, from the synthesized stack (roll-terraform.e2e runs
// the same commands against the lab with stand-ins for the VMs).

function synthesized(cluster: Cluster): { stack: SynthesizedStack; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'herd-roll-stack-'));
  writeFileSync(join(dir, 'cdk.tf.json'), synthText(cluster));
  return { stack: SynthesizedStack.read(cluster, dir), dir };
}

describe('the Terraform commands of a roll of prod', () => {
  const prod = exampleCluster('prod', (spec) => (spec.upgrade.workerBatchSize = 3));
  const { stack, dir } = synthesized(prod);

  it('replaces each batch’s VMs by the addresses the stack gives them, control planes one at a time first', () => {
    const batches = rollBatches(prod, prod.nodes).map((b) => replaceCommands(b.map((n) => stack.machineAddress('prod', n.name))));
    expect(batches.map((c) => c.plan.filter((a) => a.startsWith('-replace=')))).toEqual([
      ['-replace=vsphere_virtual_machine.node_prod-cp-1'],
      ['-replace=vsphere_virtual_machine.node_prod-cp-2'],
      ['-replace=vsphere_virtual_machine.node_prod-cp-3'],
      ['-replace=vsphere_virtual_machine.node_prod-general-a-1', '-replace=vsphere_virtual_machine.node_prod-general-a-2', '-replace=vsphere_virtual_machine.node_prod-general-a-3'],
      ['-replace=vsphere_virtual_machine.node_prod-general-a-4', '-replace=vsphere_virtual_machine.node_prod-general-a-5', '-replace=vsphere_virtual_machine.node_prod-general-a-6'],
      ['-replace=vsphere_virtual_machine.node_prod-general-b-1', '-replace=vsphere_virtual_machine.node_prod-general-b-2', '-replace=vsphere_virtual_machine.node_prod-general-b-3'],
      ['-replace=vsphere_virtual_machine.node_prod-general-b-4', '-replace=vsphere_virtual_machine.node_prod-general-b-5', '-replace=vsphere_virtual_machine.node_prod-general-b-6'],
    ]);
    expect(batches[3]).toEqual({
      plan: ['terraform', 'plan', '-input=false', '-no-color', '-replace=vsphere_virtual_machine.node_prod-general-a-1', '-replace=vsphere_virtual_machine.node_prod-general-a-2', '-replace=vsphere_virtual_machine.node_prod-general-a-3', '-out=herd-roll.tfplan'],
      show: ['terraform', 'show', '-no-color', '-json', 'herd-roll.tfplan'],
      apply: ['terraform', 'apply', '-input=false', '-no-color', 'herd-roll.tfplan'],
    });
    // While a pool's surge machines exist, every plan keeps them.
    expect(replaceCommands(['vsphere_virtual_machine.node_prod-general-a-1'], ['general-a']).plan).toEqual([
      'terraform', 'plan', '-input=false', '-no-color', '-replace=vsphere_virtual_machine.node_prod-general-a-1', '-var=herd_surge=["general-a"]', '-out=herd-roll.tfplan',
    ]);
    expect(INIT_COMMAND).toEqual(['terraform', 'init', '-input=false', '-no-color']);
    expect(MACHINES_COMMAND).toEqual(['terraform', 'output', '-no-color', '-json', 'machines']);
  });

  it('only for the nodes in scope', () => {
    const workers = rollBatches(prod, nodesInScope(prod, { pools: ['general-b'], nodes: [] }));
    expect(workers.flat().map((n) => stack.machineAddress('prod', n.name))).toEqual([1, 2, 3, 4, 5, 6].map((i) => `vsphere_virtual_machine.node_prod-general-b-${i}`));
  });

  it('refuses a stack synthesized before the environment file changed, saying to deploy first', () => {
    const changed = exampleCluster('prod', (spec) => {
      if (spec.infrastructure.type === 'vsphere') spec.infrastructure.template = 'ubuntu-24.04-k8s-v8';
    });
    expect(() => SynthesizedStack.read(changed, dir)).toThrow(/the synthesized stack in .* is not the environment as its file says now: run `cdktf deploy prod` first/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing stack', () => {
    const empty = mkdtempSync(join(tmpdir(), 'herd-roll-nostack-'));
    mkdirSync(join(empty, 'x'));
    expect(() => SynthesizedStack.read(prod, join(empty, 'x'))).toThrow(/cannot read the synthesized stack .*cdk\.tf\.json \(ENOENT\): run `cdktf deploy prod` first, which synthesizes it/);
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('the check of a batch’s saved plan', () => {
  const batch = [{ node: 'prod-general-a-1', machine: 'vsphere_virtual_machine.node_prod-general-a-1' }];
  const change = (address: string, ...actions: string[]) => ({ address, change: { actions } });
  const asked = [
    change('vsphere_virtual_machine.node_prod-general-a-1', 'delete', 'create'),
    change('terraform_data.node_removal["prod-general-a-1"]', 'delete', 'create'),
    change('terraform_data.reconcile', 'delete', 'create'),
    change('terraform_data.reconciled', 'delete', 'create'),
    change('vsphere_virtual_machine.node_prod-general-a-2', 'no-op'),
    change('data.vsphere_datacenter.datacenter', 'read'),
  ];

  it('accepts exactly the replaced VMs, their removal hooks and the reconcile step', () => {
    expect(unexpectedChanges({ resource_changes: asked }, { replace: batch })).toEqual([]);
  });

  it('names everything else the plan would do, and a VM it would not replace', () => {
    const more = [...asked, change('vsphere_virtual_machine.node_prod-general-a-7', 'create'), change('terraform_data.node_removal["prod-general-a-2"]', 'delete', 'create'), change('vsphere_folder.environment', 'update')];
    expect(unexpectedChanges({ resource_changes: more }, { replace: batch })).toEqual([
      'vsphere_virtual_machine.node_prod-general-a-7 (create)',
      'terraform_data.node_removal["prod-general-a-2"] (delete, create)',
      'vsphere_folder.environment (update)',
    ]);
    expect(unexpectedChanges({ resource_changes: [change('vsphere_virtual_machine.node_prod-general-a-1', 'update')] }, { replace: batch })).toEqual([
      'vsphere_virtual_machine.node_prod-general-a-1 (update)',
      'vsphere_virtual_machine.node_prod-general-a-1 is not replaced',
    ]);
  });

  it('for surge: exactly the surge machines and their hooks created, or destroyed; none already there is no surprise', () => {
    const surge = [{ node: 'prod-general-a-surge1', machine: 'vsphere_virtual_machine.node_prod-general-a-surge1' }];
    const created = [change('vsphere_virtual_machine.node_prod-general-a-surge1[0]', 'create'), change('terraform_data.surge_removal["prod-general-a-surge1"]', 'create')];
    expect(unexpectedChanges({ resource_changes: created }, { create: surge })).toEqual([]);
    expect(unexpectedChanges({ resource_changes: [] }, { create: surge })).toEqual([]);
    expect(unexpectedChanges({ resource_changes: created }, { destroy: surge })).toEqual([
      'vsphere_virtual_machine.node_prod-general-a-surge1[0] (create)',
      'terraform_data.surge_removal["prod-general-a-surge1"] (create)',
    ]);
    // A surge step never reruns the reconcile step.
    expect(unexpectedChanges({ resource_changes: [...created, change('terraform_data.reconcile', 'delete', 'create')] }, { create: surge })).toEqual(['terraform_data.reconcile (delete, create)']);
  });
});

