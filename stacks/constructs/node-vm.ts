import { Construct } from 'constructs';
import type { VirtualMachineClone, VirtualMachineDisk } from '@cdktf/provider-vsphere/lib/virtual-machine/index.js';
import { VsphereVirtualMachine } from './virtual-machine.ts';
import type { ClusterNode } from '../topology/topology.ts';
import type { EnvironmentSpec, VsphereInfrastructureSpec } from '../environment/schema.ts';
import { parseNetwork } from '../environment/net.ts';
import { cloudInitFor, guestinfoFor } from '../guest/cloud-init.ts';
import type { VspherePlacement } from './vsphere-placement.ts';
import type { VmFolderAndTags } from './vm-folder-and-tags.ts';

export interface NodeVmProps {
  readonly environment: string;
  readonly node: ClusterNode;
  readonly spec: EnvironmentSpec;
  readonly infrastructure: VsphereInfrastructureSpec;
  readonly placement: VspherePlacement;
  readonly inventory: VmFolderAndTags;
  /** How many of this VM exist, as an expression: a surge node's exists only while a roll asks for it. */
  readonly count?: number;
}

/** Minutes to wait for the guest to report a routable address: a cloud image's first boot grows disks and runs cloud-init. */
export const GUEST_NETWORK_TIMEOUT_MINUTES = 10;

/**
 * One node's VM, cloned from the template with the node's size, disks, tags
 * and first-boot configuration. Terraform returns once the guest reports its
 * network, so the provisioner that follows can reach it.
 */
export class NodeVm extends Construct {
  readonly machine: VsphereVirtualMachine;
  /** The VM's id, read once for the hooks, the reconcile trigger and DRS rules. */
  readonly machineId: string;

  constructor(scope: Construct, id: string, props: NodeVmProps) {
    super(scope, id);
    const { node, spec, infrastructure: infra, placement } = props;
    const linked = infra.cloneType === 'linked';
    const cloudInit = infra.guestBootstrap === 'cloudInit';
    const disks: VirtualMachineDisk[] = [
      {
        label: 'system',
        unitNumber: 0,
        // vSphere cannot grow a linked clone's disk: it must keep the template's size.
        size: linked ? placement.template.disk.sizeGiB : node.diskGiB,
        thinProvisioned: placement.template.disk.thinProvisioned,
        eagerlyScrub: placement.template.disk.eagerlyScrub,
      },
    ];
    if (node.dataDiskGiB !== undefined) {
      disks.push({ label: 'containerd', unitNumber: 1, size: node.dataDiskGiB, thinProvisioned: placement.template.disk.thinProvisioned, eagerlyScrub: placement.template.disk.eagerlyScrub });
    }
    const clone: VirtualMachineClone = {
      templateUuid: placement.template.id,
      linkedClone: linked,
      ...(cloudInit ? {} : { customize: customizationFor(node, spec) }),
    };

    this.machine = new VsphereVirtualMachine(this, 'machine', {
      ...(props.count === undefined ? {} : { count: props.count }),
      name: node.name,
      annotation: `herd: ${node.role === 'controlPlane' ? 'control plane' : 'worker'} node of environment ${props.environment}, pool ${node.pool}`,
      resourcePoolId: placement.resourcePoolId,
      ...placement.storage,
      folder: props.inventory.folderPath,
      tags: props.inventory.tagIdsOf(node),
      numCpus: node.cpu,
      memory: node.memoryMiB,
      guestId: placement.template.guestId,
      firmware: placement.template.firmware,
      scsiType: placement.template.scsiType,
      // Kubernetes' vSphere CSI driver needs disk UUIDs in the guest; so does finding the data disk by id.
      enableDiskUuid: true,
      networkInterface: [{ networkId: placement.networkId, adapterType: placement.template.adapterType }],
      disk: disks,
      clone,
      extraConfig: { ...(cloudInit ? guestinfoFor(cloudInitFor(node, spec)) : {}), [MACHINE_SPEC_KEY]: escapeTemplate(machineSpec(node, spec, infra)) },
      // A node's name and address are set at first boot only: a new VM is the way to change them.
      replaceTrigger: firstBootIdentity(node, spec),
      waitForGuestNetTimeout: GUEST_NETWORK_TIMEOUT_MINUTES,
      waitForGuestNetRoutable: true,
      lifecycle: {
        // What replaces a VM (template, clone type, first boot, its name and address) or restarts it
        // (CPU, memory, disks) is kept as built: a deploy never takes every node down at once. New VMs
        // get what the file says; `herd roll` replaces the others one batch at a time, and extra_config
        // keeps MACHINE_SPEC_KEY as built, which tells which (machine-generations.ts).
        ignoreChanges: [...MACHINE_ATTRIBUTES],
      },
    });
    this.machine.overrideLogicalId(`node_${node.name}`);
    this.machineId = this.machine.id;
  }
}

/** The VM's attributes that Terraform leaves as built: changing any of them would replace or restart the VM. */
export const MACHINE_ATTRIBUTES = ['clone', 'replace_trigger', 'extra_config', 'num_cpus', 'memory', 'disk'] as const;

/** The guestinfo key (in extra_config) that holds a VM's machineSpec as it was built. */
export const MACHINE_SPEC_KEY = 'guestinfo.herd.machine';

/**
 * Everything about a node's VM that only a new VM changes, in words: the
 * template and how it is cloned and booted, its size and disks, its first-boot
 * identity. Two VMs with the same spec are built alike.
 */
export function machineSpec(node: ClusterNode, spec: EnvironmentSpec, infra: VsphereInfrastructureSpec): string {
  const system = infra.cloneType === 'linked' ? "the template's system disk" : `${node.diskGiB} GiB system disk`;
  const data = node.dataDiskGiB === undefined ? '' : ` + ${node.dataDiskGiB} GiB containerd disk`;
  return `template ${infra.template}, ${infra.cloneType} clone, ${infra.guestBootstrap}, ${node.cpu} CPU, ${node.memoryMiB} MiB, ${system}${data}; ${firstBootIdentity(node, spec)}`;
}

/** Text as it must appear in a Terraform string to come out unchanged: ${ and %{ doubled. */
export function escapeTemplate(text: string): string {
  return text.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
}

/** What a VM learns at first boot, readable in a plan. */
export function firstBootIdentity(node: ClusterNode, spec: EnvironmentSpec): string {
  const net = spec.network;
  const search = net.searchDomains.length > 0 ? ` search ${net.searchDomains.join(',')}` : '';
  return `${node.name} ${node.address}/${parseNetwork(net.cidr).prefix} via ${net.gateway} dns ${net.dnsServers.join(',')}${search}`;
}

/** VMware guest customization, for templates without cloud-init: name, address, gateway and DNS only. */
function customizationFor(node: ClusterNode, spec: EnvironmentSpec): NonNullable<VirtualMachineClone['customize']> {
  const net = spec.network;
  return {
    linuxOptions: { hostName: node.name, domain: net.searchDomains[0]! },
    networkInterface: [{ ipv4Address: node.address, ipv4Netmask: parseNetwork(net.cidr).prefix }],
    ipv4Gateway: net.gateway,
    dnsServerList: net.dnsServers,
    dnsSuffixList: net.searchDomains,
  };
}
