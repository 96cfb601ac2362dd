import { readFileSync } from 'node:fs';
import type { Environment } from '../../stacks/environment/load.ts';
import type { ClusterNode } from '../../stacks/topology/topology.ts';
import { Dialer, type Hop } from '../ssh/connect.ts';
import { trustOnFirstUse } from '../ssh/host-key-trust.ts';
import { knownHostsPath } from '../ssh/known-hosts.ts';
import type { SshCredentials, SshSession } from '../ssh/session.ts';
import { resolveEnvPath } from '../../stacks/project.ts';

export class ConnectFailedError extends Error {
  constructor(readonly failures: readonly Error[]) {
    super(`cannot reach ${failures.length} host${failures.length === 1 ? '' : 's'}; nothing was done on any host:\n${failures.map((f) => `  ${f.message.replaceAll('\n', '\n    ')}`).join('\n')}`);
    this.name = 'ConnectFailedError';
  }
}

function credentials(env: Environment, keyFile: string | undefined): SshCredentials {
  const agent = env.spec.ssh.agent ? process.env['SSH_AUTH_SOCK'] : undefined;
  if (env.spec.ssh.agent && agent === undefined) throw new Error(`${env.file}: ssh.agent is true but SSH_AUTH_SOCK is not set`);
  return {
    ...(keyFile !== undefined ? { privateKey: readFileSync(resolveEnvPath(env, keyFile)) } : {}),
    ...(agent !== undefined ? { agent } : {}),
  };
}

export interface ConnectOptions {
  readonly onFirstContact: (host: string, fingerprint: string) => void;
  readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * Connects to every node before anything is done, so that one unreachable host
 * or one changed host key stops the run while every host is still untouched.
 */
export async function connectAll(env: Environment, nodes: readonly ClusterNode[], options: ConnectOptions): Promise<{ sessions: Map<string, SshSession>; close: () => void }> {
  const ssh = env.spec.ssh;
  const nodeCredentials = credentials(env, ssh.privateKeyFile);
  const bastion: Hop | undefined = ssh.bastion && {
    endpoint: { name: `bastion ${ssh.bastion.host}`, host: ssh.bastion.host, port: ssh.bastion.port, user: ssh.bastion.user },
    credentials: ssh.bastion.privateKeyFile ? credentials(env, ssh.bastion.privateKeyFile) : nodeCredentials,
  };
  const dialer = new Dialer(
    {
      checkHostKey: trustOnFirstUse(knownHostsPath(env), (endpoint, fp) => options.onFirstContact(endpoint.name, fp)),
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
          sessions.set(node.name, await dialer.dial({ endpoint, credentials: nodeCredentials }));
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
