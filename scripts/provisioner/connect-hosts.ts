import { readFileSync } from 'node:fs';
import type { Environment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';
import { RemoteHost, type HostAddress } from './remote-host.ts';
import type { Reporter } from './report.ts';
import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { Dialer, type Hop } from '../ssh/connect.ts';
import { trustOnFirstUse } from '../ssh/host-key-trust.ts';
import { knownHostsPath } from '../ssh/known-hosts.ts';
import { HostKeyRefusedError, type SshCredentials, type SshSession } from '../ssh/session.ts';
import { NothingChangedError } from './refused.ts';
import { resolveEnvPath } from '../../stacks/project.ts';

const hosts = (n: number): string => `${n} host${n === 1 ? '' : 's'}`;
const indented = (errors: readonly Error[]): string => errors.map((f) => `  ${f.message.replaceAll('\n', '\n    ')}`).join('\n');

/** Some hosts could not be reached or trusted; the run stopped before doing anything on any of them. */
export class ConnectFailedError extends NothingChangedError {
  override name = 'ConnectFailedError';
  constructor(readonly failures: readonly Error[]) {
    const refused = failures.filter((f) => f instanceof HostKeyRefusedError);
    const unreachable = failures.filter((f) => !(f instanceof HostKeyRefusedError));
    super(
      [
        ...(refused.length > 0 ? [`refused ${hosts(refused.length)} whose host key changed:\n${indented(refused)}`] : []),
        ...(unreachable.length > 0 ? [`cannot reach ${hosts(unreachable.length)}:\n${indented(unreachable)}`] : []),
        'Nothing was done on any host.',
      ].join('\n'),
    );
  }
}

export interface EnvironmentCredentials {
  readonly nodes: SshCredentials;
  readonly bastion: SshCredentials;
}

function readKey(env: Environment, path: string, yamlPath: string): Buffer {
  try {
    return readFileSync(resolveEnvPath(env, path));
  } catch (err) {
    throw new ConfigError([{ file: env.file, path: yamlPath, message: `cannot read the private key ${resolveEnvPath(env, path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
}

/** The environment's SSH credentials, read before anything is printed or contacted: a missing key or agent is bad input. */
export function sshCredentials(env: Environment): EnvironmentCredentials {
  const ssh = env.spec.ssh;
  const agent = ssh.agent ? process.env['SSH_AUTH_SOCK'] || undefined : undefined;
  if (ssh.agent && agent === undefined) {
    throw new ConfigError([{ file: env.file, path: 'ssh.agent', message: 'is true but SSH_AUTH_SOCK is not set: start ssh-agent, or give ssh.privateKeyFile' }]);
  }
  const nodes: SshCredentials = {
    ...(ssh.privateKeyFile !== undefined ? { privateKey: readKey(env, ssh.privateKeyFile, 'ssh.privateKeyFile') } : {}),
    ...(agent !== undefined ? { agent } : {}),
  };
  const bastionKey = ssh.bastion?.privateKeyFile;
  return { nodes, bastion: bastionKey === undefined ? nodes : { ...nodes, privateKey: readKey(env, bastionKey, 'ssh.bastion.privateKeyFile') } };
}

export interface ConnectOptions {
  readonly onFirstContact: (host: string, fingerprint: string) => void;
  readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * Connects to every node before anything is done, so that one unreachable host
 * or one changed host key stops the run while every host is still untouched.
 */
export async function connectAll(
  env: Environment,
  nodes: readonly HostAddress[],
  credentials: EnvironmentCredentials,
  options: ConnectOptions,
): Promise<{ sessions: Map<string, SshSession>; close: () => void }> {
  const ssh = env.spec.ssh;
  const bastion: Hop | undefined = ssh.bastion && {
    endpoint: { name: `bastion ${ssh.bastion.host}`, host: ssh.bastion.host, port: ssh.bastion.port, user: ssh.bastion.user },
    credentials: credentials.bastion,
  };
  const dialer = new Dialer(
    {
      checkHostKey: trustOnFirstUse(knownHostsPath(env), env.name, (endpoint, fp) => options.onFirstContact(endpoint.name, fp)),
      connectTimeoutMs: ssh.connectTimeoutSeconds * 1000,
      attempts: 3,
      backoffMs: 1000,
    },
    bastion,
  );
  const sessions = new Map<string, SshSession>();
  const failures: Error[] = [];
  await Promise.all(
    nodes.map((node) =>
      options.limit(async () => {
        try {
          const endpoint = { name: node.name, host: node.address, port: ssh.port, user: ssh.user };
          sessions.set(node.name, await dialer.dial({ endpoint, credentials: credentials.nodes }));
        } catch (err) {
          failures.push(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    ),
  );
  const close = (): void => {
    for (const s of sessions.values()) s.close();
    dialer.close();
  };
  if (failures.length > 0) {
    close();
    throw new ConnectFailedError(failures);
  }
  return { sessions, close };
}

/**
 * A run's first phase: every node connected (connectAll), each as a RemoteHost
 * that reports to `reporter` and times its commands out per ssh.commandTimeoutSeconds.
 */
export async function connectNodes(
  env: Environment,
  nodes: readonly ClusterNode[],
  credentials: EnvironmentCredentials,
  reporter: Reporter,
  limit: ConnectOptions['limit'],
): Promise<{ hosts: Map<string, RemoteHost>; close: () => void }> {
  reporter.phase(`Connect to ${nodes.length} hosts`);
  const { sessions, close } = await connectAll(env, nodes, credentials, {
    limit,
    onFirstContact: (host, fingerprint) => reporter.info(host, `first contact: recorded host key ${fingerprint}`),
  });
  const timeoutMs = env.spec.ssh.commandTimeoutSeconds * 1000;
  return { hosts: new Map(nodes.map((n) => [n.name, new RemoteHost(n, sessions.get(n.name)!, reporter, timeoutMs)])), close };
}
