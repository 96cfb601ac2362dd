import { describe, expect, it } from 'vitest';
import { MACHINE_ATTRIBUTES, MACHINE_SPEC_KEY, machineSpec } from '../../stacks/constructs/node-vm.ts';
import type { EnvironmentSpec } from '../../stacks/environment/schema.ts';
import { exampleCluster, resource, synthJson, type Json } from './synth.ts';

// A change that would replace or restart VMs (a new template, a clone type,
// sizes, disks, first-boot identity) leaves existing VMs as built: new VMs get
// it, `herd roll` replaces the others. What each VM was built as is recorded
// in it, and the stack's check block warns about every VM built otherwise.

const vsphere = (spec: EnvironmentSpec) => {
  if (spec.infrastructure.type !== 'vsphere') throw new Error('not a vSphere example');
  return spec.infrastructure;
};
const specOf = (edit?: (spec: EnvironmentSpec) => void): string => {
  const cluster = exampleCluster('prod', edit);
  return machineSpec(cluster.workers[0]!, cluster.spec, vsphere(cluster.spec));
};

describe('VMs are kept as built', () => {
  const cluster = exampleCluster('prod');
  const json = synthJson(cluster);

  it('Terraform ignores changes of what would replace or restart a VM, and each VM records what it was built as', () => {
    expect([...MACHINE_ATTRIBUTES].sort()).toEqual(['clone', 'disk', 'extra_config', 'memory', 'num_cpus', 'replace_trigger']);
    for (const node of cluster.nodes) {
      const vm = resource(json, 'vsphere_virtual_machine', `node_${node.name}`);
      expect((vm['lifecycle'] as Json)['ignore_changes'], node.name).toEqual([...MACHINE_ATTRIBUTES]);
      expect((vm['extra_config'] as Json)[MACHINE_SPEC_KEY], node.name).toBe(machineSpec(node, cluster.spec, vsphere(cluster.spec)));
    }
    expect(machineSpec(cluster.workers[0]!, cluster.spec, vsphere(cluster.spec))).toBe(
      'template debian-12-genericcloud, full clone, cloudInit, 8 CPU, 32768 MiB, 100 GiB system disk + 200 GiB containerd disk; prod-general-a-1 10.40.0.25/22 via 10.40.0.1 dns 10.0.0.53,10.0.1.53 search dc1.example.com',
    );
  });

  it('the spec changes with whatever only a new VM changes, and with nothing else', () => {
    const base = specOf();
    const changes: [string, (spec: EnvironmentSpec) => void][] = [
      ['template', (s) => (vsphere(s).template = 'ubuntu-24.04-k8s-v2')],
      ['clone type', (s) => (vsphere(s).cloneType = 'linked')],
      ['guest bootstrap', (s) => (vsphere(s).guestBootstrap = 'customization')],
      ['CPU', (s) => (s.workerPools[0]!.cpu = 16)],
      ['memory', (s) => (s.workerPools[0]!.memoryMiB = 65536)],
      ['system disk', (s) => (s.workerPools[0]!.diskGiB = 120)],
      ['data disk', (s) => delete s.workerPools[0]!.dataDiskGiB],
      ['DNS servers', (s) => (s.network.dnsServers = ['10.0.0.54'])],
    ];
    for (const [what, edit] of changes) expect(specOf(edit), what).not.toBe(base);
    for (const edit of [(s: EnvironmentSpec) => (s.kubernetes.proxyMode = 'ipvs'), (s: EnvironmentSpec) => (s.workerPools[0]!.count = 9), (s: EnvironmentSpec) => (s.calico.bgp.asNumber = 64999)]) {
      expect(specOf(edit)).toBe(base);
    }
  });

  it('a check block warns, per VM, when it was built otherwise, naming herd roll', () => {
    const asserts = ((json['check'] as Json)['machines'] as Json)['assert'] as { condition: string; error_message: string }[];
    expect(asserts).toHaveLength(cluster.nodes.length);
    const built = 'lookup(vsphere_virtual_machine.node_prod-cp-1.extra_config, "guestinfo.herd.machine", "")';
    const wanted = machineSpec(cluster.controlPlanes[0]!, cluster.spec, vsphere(cluster.spec));
    expect(asserts[0]).toEqual({
      condition: `\${${built} == ${JSON.stringify(wanted)}}`,
      error_message: `prod-cp-1 was built as "\${${built}}", the environment now asks for "${wanted}": \`herd roll prod\` replaces it, one batch at a time.`,
    });
    expect(((json['output'] as Json)['machines'] as Json)['value']).toEqual(Object.fromEntries(cluster.nodes.map((n) => [n.name, `\${lookup(vsphere_virtual_machine.node_${n.name}.extra_config, "guestinfo.herd.machine", "")}`])));
  });

  it('a template name that looks like a Terraform template sequence stays literal', () => {
    const odd = exampleCluster('dev', (s) => (vsphere(s).template = 'tmpl-${x}-%{y}'));
    const json = synthJson(odd);
    const assert = (((json['check'] as Json)['machines'] as Json)['assert'] as { condition: string }[])[0]!;
    expect(assert.condition).toContain('template tmpl-$${x}-%%{y}');
    expect((resource(json, 'vsphere_virtual_machine', 'node_dev-cp-1')['extra_config'] as Json)[MACHINE_SPEC_KEY]).toMatch(/^template tmpl-\$\$\{x\}-%%\{y\}, /);
  });

  it('static environments have neither', () => {
    const lab = synthJson(exampleCluster('lab'));
    expect(lab['check']).toBeUndefined();
    expect((lab['output'] as Json)['machines']).toBeUndefined();
  });
});
