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
  const prefix = parseNetwork(spec.network.cidr).prefix;
  const values = [node.name, `${node.address}/${prefix}`] as const;
  const plain = values.every((v) => PLAIN.test(v) && !NOT_A_STRING.test(v));
  // A node's own values are plain scalars: its documents are those of its pool with them put in.
  const [name, address] = plain ? PLACEHOLDERS : values;
  const { metadata, userdata } = documents(node, spec, name, address);
  const yaml = (document: object): string => (plain ? withValues(document, values) : stringify(document, { lineWidth: 0 }));
  return { metadata: yaml(metadata), userdata: `#cloud-config\n${yaml(userdata)}` };
}

function documents(node: ClusterNode, spec: EnvironmentSpec, name: string, address: string): { metadata: object; userdata: object } {
  const net = spec.network;
  const metadata = {
    'instance-id': name,
    'local-hostname': name,
    network: {
      version: 2,
      ethernets: {
        primary: {
          // One NIC per node; its name differs by template (ens192, eth0), its driver prefix does not.
          match: { name: 'e*' },
          dhcp4: false,
          addresses: [address],
          // 0.0.0.0/0 rather than "default": older cloud-init renderers (sysconfig) know only the former.
          routes: [{ to: '0.0.0.0/0', via: net.gateway }],
          nameservers: { addresses: net.dnsServers, ...(net.searchDomains.length > 0 ? { search: net.searchDomains } : {}) },
        },
      },
    },
  };
  const userdata = {
    hostname: name,
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
  return { metadata, userdata };
}

/** Stand-ins for a node's name and address: plain YAML scalars, like the values they stand for. */
const PLACEHOLDERS = ['herd-node-name-placeholder', 'herd-node-address-placeholder'] as const;
/** Strings YAML writes unquoted and reads back as strings: DNS labels, addresses with a prefix. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
/** YAML 1.2's core schema reads these as numbers, booleans or null: they would be quoted. */
const NOT_A_STRING = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL)$/;
const rendered = new Map<string, string>();

/**
 * A document with placeholders as YAML, rendered once per shape (yaml's
 * stringify was most of the per-node cost of synthesizing a large cluster),
 * with the values put in: the same bytes as rendering it with the values,
 * since both are plain scalars.
 */
function withValues(document: object, values: readonly string[]): string {
  const key = JSON.stringify(document);
  let text = rendered.get(key);
  if (text === undefined) {
    text = stringify(document, { lineWidth: 0 });
    rendered.set(key, text);
  }
  return PLACEHOLDERS.reduce((s, p, i) => s.replaceAll(p, values[i]!), text);
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
