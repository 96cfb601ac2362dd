import { stringify } from 'yaml';
import type { EnvironmentSpec } from '../environment/schema.ts';
import type { ClusterNode } from '../topology/topology.ts';
import { parseNetwork } from '../environment/net.ts';

/** cloud-init's two documents for one VM, as its VMware datasource reads them from guestinfo. */
export interface CloudInitDocuments {
  readonly metadata: string;
  readonly userdata: string;
}

/** The guest device of the data disk: unit 1 on the template's SCSI controller, after the system disk. */
export const DATA_DISK_DEVICE = '/dev/sdb';
export const DATA_DISK_MOUNT = '/var/lib/containerd';

/**
 * First-boot configuration of a node: its name, its static address and DNS
 * (network config v2), the SSH user with its public keys, and the containerd
 * data disk. Nothing here is secret: guestinfo is readable by anyone with read
 * access to the VM in vCenter, and it lands in Terraform state.
 */
export function cloudInitFor(node: ClusterNode, spec: EnvironmentSpec): CloudInitDocuments {
  const net = spec.network;
  const prefix = parseNetwork(net.cidr).prefix;
  const metadata = {
    'instance-id': node.name,
    'local-hostname': node.name,
    network: {
      version: 2,
      ethernets: {
        primary: {
          // One NIC per node; its name differs by template (ens192, eth0), its driver prefix does not.
          match: { name: 'e*' },
          dhcp4: false,
          addresses: [`${node.address}/${prefix}`],
          // 0.0.0.0/0 rather than "default": older cloud-init renderers (sysconfig) know only the former.
          routes: [{ to: '0.0.0.0/0', via: net.gateway }],
          nameservers: { addresses: net.dnsServers, ...(net.searchDomains.length > 0 ? { search: net.searchDomains } : {}) },
        },
      },
    },
  };
  const userdata = {
    hostname: node.name,
    preserve_hostname: false,
    users: [
      {
        name: spec.ssh.user,
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: spec.ssh.authorizedKeys,
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    ...(node.dataDiskGiB === undefined
      ? {}
      : {
          fs_setup: [{ label: 'containerd', filesystem: 'ext4', device: DATA_DISK_DEVICE, partition: 'none', overwrite: false }],
          mounts: [['LABEL=containerd', DATA_DISK_MOUNT, 'ext4', 'defaults,nofail', '0', '2']],
        }),
  };
  return {
    metadata: stringify(metadata, { lineWidth: 0 }),
    userdata: `#cloud-config\n${stringify(userdata, { lineWidth: 0 })}`,
  };
}

/** The VM's extra_config keys that hand the documents to cloud-init's VMware datasource. */
export function guestinfoFor(documents: CloudInitDocuments): Record<string, string> {
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    'guestinfo.metadata': b64(documents.metadata),
    'guestinfo.metadata.encoding': 'base64',
    'guestinfo.userdata': b64(documents.userdata),
    'guestinfo.userdata.encoding': 'base64',
  };
}
