import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseNetwork } from '../../stacks/environment/net.ts';
import type { Cluster, ClusterNode } from '../../stacks/topology/topology.ts';
import { availableSurge } from '../../stacks/topology/surge.ts';
import { decodeBase64, exampleCluster, resource, synthJson, type Json } from './synth.ts';

// The vSphere provider cannot be downloaded here, so `terraform plan` cannot
// check these stacks: the JSON is checked instead, node by node, against the
// topology the environment computes to.

const ref = (address: string): string => `\${${address}}`;

function vmOf(json: Json, node: ClusterNode): Json {
  return resource(json, 'vsphere_virtual_machine', `node_${node.name}`);
}

function metadataOf(vm: Json): { network: { ethernets: { primary: { addresses: string[]; routes: { via: string }[]; nameservers: { addresses: string[] } } } }; 'local-hostname': string } {
  return parse(decodeBase64((vm['extra_config'] as Json)['guestinfo.metadata'] as string));
}

function userdataOf(vm: Json): { users: { name: string; ssh_authorized_keys: string[] }[] } {
  return parse(decodeBase64((vm['extra_config'] as Json)['guestinfo.userdata'] as string));
}

function ruleMembers(json: Json, name: string): string[] {
  return resource(json, 'vsphere_compute_cluster_vm_anti_affinity_rule', `anti_affinity_${name}`)['virtual_machine_ids'] as string[];
}

describe.each(['dev', 'prod'])('the %s stack', (name) => {
  const cluster: Cluster = exampleCluster(name);
  const json = synthJson(cluster);
  const infra = cluster.spec.infrastructure;
  if (infra.type !== 'vsphere') throw new Error(`${name} is not a vSphere example`);
  const prefix = parseNetwork(cluster.spec.network.cidr).prefix;

  it('has one VM per node and no other, besides the surge machines of herd roll --surge', () => {
    const vms = Object.keys((json['resource'] as Record<string, Json>)['vsphere_virtual_machine']!);
    expect(vms.sort()).toEqual([...cluster.nodes, ...availableSurge(cluster)].map((n) => `node_${n.name}`).sort());
  });

  it('puts every VM in the environment folder under infrastructure.folder', () => {
    expect(resource(json, 'vsphere_folder', 'environment')).toMatchObject({ path: `${infra.folder}/${name}`, type: 'vm' });
    for (const node of cluster.nodes) expect(vmOf(json, node)['folder'], node.name).toBe(ref('vsphere_folder.environment.path'));
  });

  it('tags every VM with its environment, role and pool', () => {
    expect(resource(json, 'vsphere_tag_category', 'herd')).toMatchObject({ name: `${infra.tagCategory}-${name}`, cardinality: 'MULTIPLE', associable_types: ['VirtualMachine'] });
    for (const node of cluster.nodes) {
      const tags = vmOf(json, node)['tags'] as string[];
      expect(tags, node.name).toEqual([ref(`vsphere_tag.environment_${name}.id`), ref(`vsphere_tag.role_${node.role}.id`), ref(`vsphere_tag.pool_${node.pool}.id`)]);
      expect(resource(json, 'vsphere_tag', `pool_${node.pool}`)['name']).toBe(`pool=${node.pool}`);
      expect(resource(json, 'vsphere_tag', `role_${node.role}`)['name']).toBe(`role=${node.role}`);
    }
    expect(resource(json, 'vsphere_tag', `environment_${name}`)['name']).toBe(`environment=${name}`);
  });

  it('gives every VM its static address, gateway, DNS and name through cloud-init', () => {
    for (const node of cluster.nodes) {
      const vm = vmOf(json, node);
      const nic = metadataOf(vm).network.ethernets.primary;
      expect(nic.addresses, node.name).toEqual([`${node.address}/${prefix}`]);
      expect(nic.routes).toEqual([{ to: '0.0.0.0/0', via: cluster.spec.network.gateway }]);
      expect(nic.nameservers.addresses).toEqual(cluster.spec.network.dnsServers);
      expect(metadataOf(vm)['local-hostname']).toBe(node.name);
      expect(userdataOf(vm).users).toEqual([expect.objectContaining({ name: cluster.spec.ssh.user, ssh_authorized_keys: cluster.spec.ssh.authorizedKeys })]);
      expect(vm['replace_trigger']).toContain(` ${node.address}/${prefix} `);
    }
  });

  it('sizes every VM from its pool', () => {
    for (const node of cluster.nodes) {
      const vm = vmOf(json, node);
      const sizing = node.role === 'controlPlane' ? cluster.spec.controlPlane : cluster.spec.workerPools.find((p) => p.name === node.pool)!;
      expect(vm['num_cpus'], node.name).toBe(sizing.cpu);
      expect(vm['memory'], node.name).toBe(sizing.memoryMiB);
      const disks = vm['disk'] as Json[];
      const systemSize = infra.cloneType === 'linked' ? ref('data.vsphere_virtual_machine.template.disks[0].size') : sizing.diskGiB;
      expect(disks[0], node.name).toMatchObject({ label: 'system', unit_number: 0, size: systemSize, thin_provisioned: ref('data.vsphere_virtual_machine.template.disks[0].thin_provisioned') });
      expect(disks.slice(1), node.name).toEqual(sizing.dataDiskGiB === undefined ? [] : [expect.objectContaining({ label: 'containerd', unit_number: 1, size: sizing.dataDiskGiB })]);
      expect(vm['clone']).toMatchObject({ linked_clone: infra.cloneType === 'linked', template_uuid: ref('data.vsphere_virtual_machine.template.id') });
    }
  });

  it('keeps the control plane apart with a DRS rule when there is more than one', () => {
    const rules = Object.keys((json['resource'] as Record<string, Json>)['vsphere_compute_cluster_vm_anti_affinity_rule'] ?? {});
    const cpIds = cluster.controlPlanes.map((n) => ref(`vsphere_virtual_machine.node_${n.name}.id`));
    if (cluster.controlPlanes.length > 1) expect(ruleMembers(json, `${name}-cp`)).toEqual(cpIds);
    else expect(rules).not.toContain(`anti_affinity_${name}-cp`);
    for (const pool of cluster.spec.workerPools) {
      const members = cluster.workers.filter((n) => n.pool === pool.name).map((n) => ref(`vsphere_virtual_machine.node_${n.name}.id`));
      if (pool.antiAffinity) expect(ruleMembers(json, `${name}-${pool.name}`)).toEqual(members);
      else expect(rules).not.toContain(`anti_affinity_${name}-${pool.name}`);
    }
  });

  it('waits for the guest network before the provisioner runs', () => {
    for (const node of cluster.nodes) expect(vmOf(json, node)).toMatchObject({ wait_for_guest_net_routable: true, wait_for_guest_net_timeout: 10 });
    const reconcile = resource(json, 'terraform_data', 'reconcile');
    expect(reconcile['depends_on']).toEqual(expect.arrayContaining(cluster.nodes.map((n) => `vsphere_virtual_machine.node_${n.name}`)));
  });

  it('configures the provider without credentials, and verifies TLS unless the YAML says otherwise', () => {
    const provider = (json['provider'] as { vsphere: Json[] }).vsphere;
    expect(provider).toEqual([{ allow_unverified_ssl: false, vsphere_server: infra.server }]);
  });
});

describe('vSphere variants', () => {
  it('allowUnverifiedSsl: true reaches the provider', () => {
    const json = synthJson(exampleCluster('dev', (spec) => {
      if (spec.infrastructure.type === 'vsphere') spec.infrastructure.allowUnverifiedSsl = true;
    }));
    expect((json['provider'] as { vsphere: Json[] }).vsphere).toEqual([{ allow_unverified_ssl: true, vsphere_server: 'vcenter.dev.example.com' }]);
  });

  it('without infrastructure.server the provider reads VSPHERE_SERVER: no server in the JSON', () => {
    const json = synthJson(exampleCluster('dev', (spec) => {
      if (spec.infrastructure.type === 'vsphere') delete spec.infrastructure.server;
    }));
    expect((json['provider'] as { vsphere: Json[] }).vsphere).toEqual([{ allow_unverified_ssl: false }]);
  });

  it('guestBootstrap: customization sets name and address through VMware customization and writes no cloud-init guestinfo', () => {
    const cluster = exampleCluster('prod', (spec) => {
      if (spec.infrastructure.type === 'vsphere') spec.infrastructure.guestBootstrap = 'customization';
      spec.ssh.authorizedKeys = [];
    });
    const vm = vmOf(synthJson(cluster), cluster.nodes[0]!);
    // Only herd's record of what the VM was built as (machine-generations.ts).
    expect(Object.keys(vm['extra_config'] as Json)).toEqual(['guestinfo.herd.machine']);
    expect((vm['clone'] as Json)['customize']).toEqual({
      dns_server_list: ['10.0.0.53', '10.0.1.53'],
      dns_suffix_list: ['dc1.example.com'],
      ipv4_gateway: '10.40.0.1',
      linux_options: { domain: 'dc1.example.com', host_name: 'prod-cp-1' },
      network_interface: [{ ipv4_address: '10.40.0.20', ipv4_netmask: 22 }],
    });
  });

  it('a resource pool places the VMs in it; the compute cluster still anchors the DRS rules', () => {
    const json = synthJson(exampleCluster('prod', (spec) => {
      if (spec.infrastructure.type === 'vsphere') spec.infrastructure.resourcePool = 'cl-compute-01/Resources/kubernetes';
    }));
    expect((json['data'] as Record<string, Json>)['vsphere_resource_pool']).toMatchObject({ resource_pool: { name: 'cl-compute-01/Resources/kubernetes' } });
    expect(resource(json, 'vsphere_virtual_machine', 'node_prod-cp-1')['resource_pool_id']).toBe(ref('data.vsphere_resource_pool.resource_pool.id'));
    expect(resource(json, 'vsphere_compute_cluster_vm_anti_affinity_rule', 'anti_affinity_prod-cp')['compute_cluster_id']).toBe(ref('data.vsphere_compute_cluster.compute_cluster.id'));
  });

  it('a single datastore instead of a datastore cluster', () => {
    const json = synthJson(exampleCluster('dev'));
    const vm = resource(json, 'vsphere_virtual_machine', 'node_dev-cp-1');
    expect(vm['datastore_id']).toBe(ref('data.vsphere_datastore.datastore.id'));
    expect(vm['datastore_cluster_id']).toBeUndefined();
  });

  it('controlPlane.antiAffinity: false turns the control plane rule off', () => {
    const json = synthJson(exampleCluster('prod', (spec) => {
      spec.controlPlane.antiAffinity = false;
    }));
    const rules = Object.keys((json['resource'] as Record<string, Json>)['vsphere_compute_cluster_vm_anti_affinity_rule']!);
    expect(rules.sort()).toEqual(['anti_affinity_prod-general-a', 'anti_affinity_prod-general-b']);
  });
});

describe('the lab stack (static hosts)', () => {
  const json = synthJson(exampleCluster('lab'));

  it('has no vSphere provider, no data sources and nothing to download', () => {
    expect(json['provider']).toBeUndefined();
    expect(json['data']).toBeUndefined();
    expect((json['terraform'] as Json)['required_providers']).toBeUndefined();
    expect(Object.keys(json['resource'] as Json)).toEqual(['terraform_data']);
  });

  it('runs herd apply from the project directory, herd node remove on destroy, and tells a destroy of the stack from a lowered count', () => {
    const reconcile = resource(json, 'terraform_data', 'reconcile');
    expect(reconcile['provisioner']).toEqual([{ 'local-exec': { command: 'node bin/herd.mjs apply lab --only-changed', working_dir: '../../..' } }]);
    const removal = resource(json, 'terraform_data', 'node_removal');
    expect(removal['provisioner']).toEqual([
      {
        'local-exec': {
          command: 'node bin/herd.mjs node remove lab ${self.triggers_replace.name} --address ${self.triggers_replace.address} --timeout 300 --terraform-pid $PPID',
          // A refusal keeps the machine; an unreachable node is a warning and exit 0.
          on_failure: 'fail',
          when: 'destroy',
          working_dir: '../../..',
        },
      },
    ]);
    expect(Object.keys(removal['for_each'] as Json)).toEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2']);
    const teardown = resource(json, 'terraform_data', 'teardown');
    // Destroyed before every hook (it depends on them), and never replaced: it has no triggers.
    expect(teardown['depends_on']).toEqual(['terraform_data.node_removal']);
    expect(teardown['triggers_replace']).toBeUndefined();
    expect(teardown['provisioner']).toEqual([
      { 'local-exec': { command: 'node bin/herd.mjs teardown-begins lab --terraform-pid $PPID', when: 'destroy', working_dir: '../../..' } },
    ]);
  });

  it('keeps its state under .herd/lab', () => {
    expect((json['terraform'] as Json)['backend']).toEqual({ local: { path: '../../../.herd/lab/terraform.tfstate' } });
  });

  it('outputs the node inventory and the API endpoint', () => {
    expect(json['output']).toEqual({
      apiEndpoint: { description: 'the Kubernetes API endpoint', value: 'https://198.18.10.11:6443' },
      nodes: {
        description: 'node inventory: name, role, pool, address',
        value: [
          { address: '198.18.10.11', name: 'lab-cp-1', pool: 'cp', role: 'controlPlane' },
          { address: '198.18.10.21', name: 'lab-worker-1', pool: 'worker', role: 'worker' },
          { address: '198.18.10.22', name: 'lab-worker-2', pool: 'worker', role: 'worker' },
        ],
      },
    });
  });
});
