import { dirname, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import type { Environment } from '../../stacks/environment/load.ts';
import { ConfigError, type ConfigIssue } from '../../stacks/environment/errors.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { renderCluster } from '../../templates/render.ts';
import { startLab, type FabricSpec, type Lab, type LabHostSpec, type RouterSpec } from './lab.ts';

/** What a lab for an environment is: where it lives, who logs in, which hosts run, on what network. */
export interface LabTarget {
  /** The directory of the environment's ssh.privateKeyFile: the lab writes its key where the environment expects it. */
  readonly stateDir: string;
  readonly keyFile: string;
  readonly user: string;
  readonly hosts: readonly LabHostSpec[];
  /**
   * An environment with an ssh.bastion at a loopback address: the lab plays
   * the bastion there, and puts the hosts on a fabric with the environment's
   * node network and gateway, reachable only through it.
   */
  readonly isolated?: { readonly bastion: LabHostSpec; readonly fabric: FabricSpec };
}

function isLoopback(address: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(address) && ipaddr.IPv4.parse(address).range() === 'loopback';
}

/** The bastion and fabric the lab plays for an environment with an ssh.bastion, or the problems that stop it. */
function isolation(env: Environment): { value?: LabTarget['isolated']; issues: ConfigIssue[] } {
  const { spec, file } = env;
  const bastion = spec.ssh.bastion;
  if (!bastion) return { issues: [] };
  const issues: ConfigIssue[] = [];
  if (!isLoopback(bastion.host) || bastion.host === '127.0.0.1') {
    issues.push({ file, path: 'ssh.bastion.host', message: `the lab plays the bastion on this machine, at a loopback address (127.x.y.z, not 127.0.0.1); "${bastion.host}" is not one` });
  }
  if (bastion.port !== 22) issues.push({ file, path: 'ssh.bastion.port', message: `the lab's bastion listens on port 22, not ${bastion.port}` });
  spec.calico.ipPools?.forEach((pool, i) => {
    if (pool.encapsulation.startsWith('IPIP')) {
      issues.push({ file, path: `calico.ipPools[${i}].encapsulation`, message: `the lab's BIRD (Debian's 1.6.8) cannot program IP-in-IP routes (calico/bird's krt_tunnel); use None or VXLAN on the lab` });
    }
  });
  return { value: { bastion: { name: `${env.name}-bastion`, address: bastion.host }, fabric: { cidr: spec.network.cidr, gateway: spec.network.gateway } }, issues };
}

/**
 * The lab an environment describes: a static environment whose hosts the lab
 * plays. Without `count`, the hosts its nodes need (one per node, by name);
 * with `count`, the first `count` of infrastructure.hosts (spares included).
 */
export function labTarget(env: Environment, count?: number): LabTarget {
  const { spec, file } = env;
  if (spec.infrastructure.type !== 'static') {
    throw new ConfigError([{ file, path: 'infrastructure.type', message: `the lab plays the hosts of a static environment; this one is "${spec.infrastructure.type}"` }]);
  }
  if (spec.ssh.privateKeyFile === undefined) {
    throw new ConfigError([{ file, path: 'ssh.privateKeyFile', message: 'the lab writes its login key to this file; set it (e.g. ../../.herd/lab/id_ed25519)' }]);
  }
  if (spec.ssh.port !== 22) {
    throw new ConfigError([{ file, path: 'ssh.port', message: `lab hosts listen on port 22, not ${spec.ssh.port}` }]);
  }
  const isolated = isolation(env);
  if (isolated.issues.length > 0) throw new ConfigError(isolated.issues);
  const available = spec.infrastructure.hosts;
  let hosts: LabHostSpec[];
  if (count === undefined) {
    hosts = computeCluster(env).nodes.map((node) => {
      const host = available.find((h) => h.name === node.name);
      if (!host) throw new ConfigError([{ file, path: 'infrastructure.hosts', message: `node ${node.name} has no host of that name` }]);
      return { name: host.name, address: host.address };
    });
  } else {
    if (!Number.isInteger(count) || count < 1) throw new ConfigError([{ file, path: 'infrastructure.hosts', message: `--hosts must be a positive whole number, got ${count}` }]);
    if (count > available.length) {
      throw new ConfigError([{ file, path: 'infrastructure.hosts', message: `--hosts ${count} asks for more hosts than the ${available.length} listed here; add hosts to the list or ask for fewer` }]);
    }
    hosts = available.slice(0, count).map((h) => ({ name: h.name, address: h.address }));
  }
  const keyFile = resolve(dirname(file), spec.ssh.privateKeyFile);
  return { stateDir: dirname(keyFile), keyFile, user: spec.ssh.user, hosts, ...(isolated.value ? { isolated: isolated.value } : {}) };
}

/**
 * The lab's routers for an environment: one per external BGP peer
 * (calico.bgp.peers), loaded with what `herd peers` renders for it. The
 * network team knows the peers' passwords; here they come from the
 * environment variables the file names, read from `values`.
 */
export function labRouters(env: Environment, values: NodeJS.ProcessEnv): RouterSpec[] {
  const peers = env.spec.calico.bgp.peers;
  const missing = peers.flatMap((p, i) => (p.passwordFrom && values[p.passwordFrom.env] === undefined ? [{ i, name: p.passwordFrom.env, peer: p.name }] : []));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) => ({ file: env.file, path: `calico.bgp.peers[${m.i}].passwordFrom.env`, message: `the lab's router ${m.peer} needs this peer's password: set ${m.name}` })),
    );
  }
  const rendered = new Map(renderCluster(computeCluster(env)).peers.map((p) => [p.name, p]));
  return peers.flatMap((peer) => {
    const file = rendered.get(peer.name);
    if (!file) return [];
    const secret = peer.passwordFrom && values[peer.passwordFrom.env];
    return [{ name: peer.name, address: peer.address, config: file.frrConf.content, secrets: peer.passwordFrom && secret !== undefined ? { [peer.passwordFrom.env]: secret } : {} }];
  });
}

/** The lab an environment describes with its routers, or the refusals of its file. */
export function environmentLab(env: Environment, options: { count?: number; values?: NodeJS.ProcessEnv } = {}): { target: LabTarget; routers: RouterSpec[] } {
  const target = labTarget(env, options.count);
  if (!target.isolated && env.spec.calico.bgp.peers.length > 0) {
    throw new ConfigError([{ file: env.file, path: 'calico.bgp.peers', message: 'the lab plays BGP peers on a fabric only, behind a lab bastion: set ssh.bastion to a loopback address (see stacks/environments/lab.yaml)' }]);
  }
  return { target, routers: target.isolated ? labRouters(env, options.values ?? process.env) : [] };
}

/**
 * Starts (or completes) the lab an environment describes: its hosts (the
 * nodes', or the first `count` listed), and for an environment behind a
 * loopback ssh.bastion its bastion, its fabric and one real FRR per BGP
 * peer, the peers' passwords read from `values`. Every refusal comes before
 * anything starts.
 */
export async function startEnvironmentLab(env: Environment, options: { count?: number; values?: NodeJS.ProcessEnv } = {}): Promise<Lab> {
  const { target, routers } = environmentLab(env, options);
  const lab = await startLab({ stateDir: target.stateDir, keyFile: target.keyFile, user: target.user, hosts: target.hosts, ...(target.isolated ? { isolated: target.isolated } : {}) });
  if (routers.length > 0) await lab.startRouters(routers);
  return lab;
}
