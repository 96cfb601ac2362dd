import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';
import { HandshakeCounter, RoundTrips, execRoundTrips } from './round-trips.ts';

// ssh2 is CommonJS; Node's ESM loader cannot see all of its named exports.
const { Client } = ssh2;
import type { Duplex } from 'node:stream';

/** Where to log in: one host as OpenSSH would see it. */
export interface SshEndpoint {
  /** Name used in messages and known_hosts lookups (the node name). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

export interface SshCredentials {
  readonly privateKey?: Buffer;
  /** Path of an ssh-agent socket (SSH_AUTH_SOCK). */
  readonly agent?: string;
}

/**
 * Decides whether to trust a host key; returns undefined to accept, or the
 * reason to refuse. It sees the raw key blob as the server sent it.
 */
export type HostKeyCheck = (endpoint: SshEndpoint, keyBlob: Buffer) => Promise<string | undefined>;

export interface ConnectOptions {
  readonly endpoint: SshEndpoint;
  readonly credentials: SshCredentials;
  readonly checkHostKey: HostKeyCheck;
  readonly connectTimeoutMs: number;
  /** An already-open channel to the host, e.g. through a bastion. */
  readonly sock?: Duplex;
  /** Round trips already spent reaching the host before its own handshake (a channel opened through a bastion). */
  readonly roundTripsBefore?: number;
}

export interface ExecOptions {
  /** Sent on the channel's stdin, then closed: how secrets travel, never in argv. */
  readonly stdin?: string;
  readonly timeoutMs: number;
  readonly onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class HostKeyRefusedError extends Error {
  constructor(readonly endpoint: SshEndpoint, reason: string) {
    super(`${endpoint.name} (${endpoint.host}:${endpoint.port}): ${reason}`);
    this.name = 'HostKeyRefusedError';
  }
}

export class CommandTimeoutError extends Error {
  constructor(readonly endpoint: SshEndpoint, readonly timeoutMs: number, readonly partial: ExecResult) {
    super(`${endpoint.name}: command did not finish within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'CommandTimeoutError';
  }
}

export class ConnectError extends Error {
  constructor(
    readonly endpoint: SshEndpoint,
    override readonly cause: string,
  ) {
    super(`${endpoint.name} (${endpoint.user}@${endpoint.host}:${endpoint.port}): cannot connect: ${cause}`);
    this.name = 'ConnectError';
  }
}

/** One authenticated SSH connection, reused for every command of its host. */
export class SshSession {
  /** Sequential round trips on this connection, its handshake included. */
  readonly roundTrips = new RoundTrips();

  private constructor(
    readonly endpoint: SshEndpoint,
    private readonly client: InstanceType<typeof Client>,
    /** Round trips from the first packet to a logged-in connection, a bastion's share included. */
    readonly handshakeRoundTrips: number,
  ) {
    this.roundTrips.add(handshakeRoundTrips);
  }

  static connect(options: ConnectOptions): Promise<SshSession> {
    const { endpoint } = options;
    const client = new Client();
    let refusal: string | undefined;
    const handshake = new HandshakeCounter();
    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      debug: handshake.debug,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void): void => {
        options.checkHostKey(endpoint, key).then(
          (reason) => {
            refusal = reason;
            verify(reason === undefined);
          },
          (err: unknown) => {
            refusal = `cannot check the host key: ${err instanceof Error ? err.message : String(err)}`;
            verify(false);
          },
        );
      },
      ...(options.credentials.privateKey ? { privateKey: options.credentials.privateKey } : {}),
      ...(options.credentials.agent ? { agent: options.credentials.agent } : {}),
      // Straight to the methods herd has: ssh2 would first try "none", a round trip that never logs herd in.
      authHandler: [...(options.credentials.privateKey ? ['publickey' as const] : []), ...(options.credentials.agent ? ['agent' as const] : [])],
      ...(options.sock ? { sock: options.sock } : {}),
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.destroy();
        const cause = /Timed out while waiting for handshake/.test(err.message) ? `no SSH handshake within ${Math.round(options.connectTimeoutMs / 1000)} s` : err.message;
        reject(refusal !== undefined ? new HostKeyRefusedError(endpoint, refusal) : new ConnectError(endpoint, cause));
      };
      // ssh2's readyTimeout does not cover a TCP peer that accepts and never speaks first.
      const timer = setTimeout(() => fail(new Error(`no SSH handshake within ${Math.round(options.connectTimeoutMs / 1000)} s`)), options.connectTimeoutMs + 1_000);
      client
        .once('ready', () => {
          settled = true;
          clearTimeout(timer);
          resolve(new SshSession(endpoint, client, (options.roundTripsBefore ?? 0) + handshake.finish()));
        })
        // A client that failed can emit more errors while it shuts down ("Connection lost before handshake"): keep listening.
        .on('error', fail)
        .connect(config);
    });
  }

  /** Opens a TCP channel through this host to another, as OpenSSH's ProxyJump does: one round trip (the channel open). */
  forwardTo(host: string, port: number): Promise<ClientChannel> {
    return this.roundTrips.around(1, () => new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
    }));
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return this.roundTrips.around(execRoundTrips((options.stdin ?? '') !== ''), () => this.execOnce(command, options));
  }

  private execOnce(command: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) {
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => {
          // Ask sshd to kill the remote command, then drop the channel regardless.
          channel.signal('KILL');
          channel.close();
          reject(new CommandTimeoutError(this.endpoint, options.timeoutMs, { code: -1, stdout, stderr }));
        }, options.timeoutMs);
        channel.on('data', (data: Buffer) => {
          const text = data.toString('utf8');
          stdout += text;
          options.onOutput?.(text, 'stdout');
        });
        channel.stderr.on('data', (data: Buffer) => {
          const text = data.toString('utf8');
          stderr += text;
          options.onOutput?.(text, 'stderr');
        });
        channel.on('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
        });
        channel.end(options.stdin ?? '');
      });
    });
  }

  close(): void {
    this.client.end();
  }
}
