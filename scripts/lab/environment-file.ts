import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { intToIpv4, parseNetwork } from '../../stacks/environment/net.ts';
import type { Lab, LabHostSpec } from './lab.ts';
import { defaultVersions } from '../../stacks/versions/table.ts';

// Environment files for labs that tests and benchmarks start themselves: a
// static environment whose hosts are the lab's, logged into with the lab's key.

export interface LabEnvironment {
  readonly name: string;
  readonly dir: string;
  readonly knownHosts: string;
  /** The environment file. */
  readonly file: string;
  /** Rewrites the environment file with these counts. */
  write(counts: { controlPlanes: 1 | 3 | 5; workers: number }, extra?: Record<string, unknown>): void;
}

/** Lab hosts named for environment `env`: control planes at 127.<net>.0.11…, workers at 127.<net>.1.11… */
export function labHosts(env: string, net: number, controlPlanes: number, workers: number): LabHostSpec[] {
  return [
    ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `${env}-cp-${i + 1}`, address: `127.${net}.0.${11 + i}` })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `${env}-worker-${i + 1}`, address: `127.${net}.1.${11 + i}` })),
  ];
}

/** The same hosts on the fabric 198.18.<net>.0/24 (gateway .1): control planes at .11…, workers at .21… */
export function fabricHosts(env: string, net: number, controlPlanes: number, workers: number): { hosts: LabHostSpec[]; fabric: { cidr: string; gateway: string } } {
  return {
    fabric: { cidr: `198.18.${net}.0/24`, gateway: `198.18.${net}.1` },
    hosts: [
      ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `${env}-cp-${i + 1}`, address: `198.18.${net}.${11 + i}` })),
      ...Array.from({ length: workers }, (_, i) => ({ name: `${env}-worker-${i + 1}`, address: `198.18.${net}.${21 + i}` })),
    ],
  };
}

/** The node network of the lab's environment: its fabric, or a loopback /16 of its own. */
function nodeNetwork(lab: Lab, net: number): { cidr: string; gateway: string; loadBalancer: string } {
  if (!lab.fabric) return { cidr: `127.${net}.0.0/16`, gateway: `127.${net}.0.1`, loadBalancer: `127.${net}.0.5` };
  return { ...lab.fabric, loadBalancer: intToIpv4(parseNetwork(lab.fabric.cidr).first + 5) };
}

/**
 * `port`: where herd connects instead of port 22, a latency relay's (lab.delay):
 * the hosts' own port, or for a lab behind a bastion, the bastion's.
 */
export function labEnvironment(name: string, dir: string, lab: Lab, net: number, options: { readonly port?: number } = {}): LabEnvironment {
  mkdirSync(dir, { recursive: true });
  const knownHosts = join(dir, 'known_hosts');
  return {
    name,
    dir,
    knownHosts,
    file: join(dir, `${name}.yaml`),
    write(counts, extra = {}) {
      const network = nodeNetwork(lab, net);
      const versions = defaultVersions();
      const env = {
        infrastructure: { type: 'static', hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address })) },
        network: { cidr: network.cidr, gateway: network.gateway, dnsServers: ['127.0.0.53'] },
        controlPlane: {
          count: counts.controlPlanes,
          endpoint: counts.controlPlanes === 1 ? { type: 'firstNode' } : { type: 'loadBalancer', address: network.loadBalancer },
        },
        workerPools: [{ name: 'worker', count: counts.workers }],
        // What a new environment gets from the table of versions.
        kubernetes: { version: versions.kubernetes },
        containerd: { version: versions.containerd },
        calico: { version: versions.calico },
        ssh: {
          user: lab.user,
          privateKeyFile: lab.keyFile,
          knownHostsFile: knownHosts,
          ...(options.port === undefined || lab.bastion ? {} : { port: options.port }),
          connectTimeoutSeconds: 5,
          commandTimeoutSeconds: 120,
          // A lab with an isolated network: its hosts are reachable only through its bastion.
          ...(lab.bastion ? { bastion: { host: lab.bastion.address, user: lab.user, port: options.port ?? lab.bastion.port, privateKeyFile: lab.keyFile } } : {}),
        },
        ...extra,
      };
      writeFileSync(this.file, stringify(env));
    },
  };
}
