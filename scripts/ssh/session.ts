import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';

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

/** One authenticated SSH connection, reused for every command and file of its host. */
export class SshSession {
  private sftpChannel: Promise<SFTPWrapper> | undefined;

  private constructor(
    readonly endpoint: SshEndpoint,
    private readonly client: InstanceType<typeof Client>,
  ) {}

  static connect(options: ConnectOptions): Promise<SshSession> {
    const { endpoint } = options;
    const client = new Client();
    let refusal: string | undefined;
    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: 15_000,
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
          resolve(new SshSession(endpoint, client));
        })
        // A client that failed can emit more errors while it shuts down ("Connection lost before handshake"): keep listening.
        .on('error', fail)
        .connect(config);
    });
  }

  /** Opens a TCP channel through this host to another, as OpenSSH's ProxyJump does. */
  forwardTo(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
    });
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
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

  /** Writes a file over SFTP with the given mode, creating it with that mode so it is never readable by others, even briefly. */
  async writeFile(path: string, content: string | Buffer, mode: number): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(path, content, { mode }, (err) => (err ? reject(new Error(`${this.endpoint.name}: cannot write ${path}: ${err.message}`)) : resolve()));
    });
  }

  close(): void {
    this.client.end();
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    });
    return this.sftpChannel;
  }
}
