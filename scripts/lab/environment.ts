import { dirname, resolve } from 'node:path';
import type { Environment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { renderCluster } from '../../templates/render.ts';
import type { LabHostSpec, RouterSpec } from './lab.ts';

/** What a lab for an environment is: where it lives, who logs in, which hosts run. */
export interface LabTarget {
  /** The directory of the environment's ssh.privateKeyFile: the lab writes its key where the environment expects it. */
  readonly stateDir: string;
  readonly keyFile: string;
  readonly user: string;
  readonly hosts: readonly LabHostSpec[];
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
  return { stateDir: dirname(keyFile), keyFile, user: spec.ssh.user, hosts };
}

/**
 * The lab's routers for an environment: one per external BGP peer
 * (calico.bgp.peers), loaded with what `herd peers` renders for it. The
 * network team knows the peers' passwords; here they come from the
 * environment variables the file names, from `values`.
 */
export function labRouters(env: Environment, values: NodeJS.ProcessEnv): RouterSpec[] {
  const peers = env.spec.calico.bgp.peers;
  const missing = peers.flatMap((p, i) => (p.passwordFrom && values[p.passwordFrom.env] === undefined ? [{ i, name: p.passwordFrom.env, peer: p.name }] : []));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) => ({ file: env.file, path: `calico.bgp.peers[${m.i}].passwordFrom.env`, message: `the lab's router ${m.peer} needs this peer's password: set ${m.name}` })),
    );
  }
  return renderCluster(computeCluster(env)).peers.map((rendered) => {
    const peer = peers.find((p) => p.name === rendered.name)!;
    const secrets = peer.passwordFrom ? { [peer.passwordFrom.env]: values[peer.passwordFrom.env]! } : {};
    return { name: rendered.name, address: rendered.address, config: rendered.frrConf.content, secrets };
  });
}
