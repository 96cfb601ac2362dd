import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectError, HostKeyRefusedError, SshSession, type HostKeyCheck, type SshCredentials, type SshEndpoint } from './session.ts';
import { connectHint } from './connect-failure.ts';

export interface Hop {
  readonly endpoint: SshEndpoint;
  readonly credentials: SshCredentials;
}

export interface DialOptions {
  readonly checkHostKey: HostKeyCheck;
  readonly connectTimeoutMs: number;
  /** Attempts for connecting (not for commands): a VM that is still booting refuses for a while. */
  readonly attempts: number;
  readonly backoffMs: number;
}

/**
 * Opens sessions to hosts, directly or through one bastion whose connection
 * all hosts share (like OpenSSH's ProxyJump with ControlMaster).
 */
export class Dialer {
  private bastionSession: Promise<SshSession> | undefined;

  constructor(
    private readonly options: DialOptions,
    private readonly bastion?: Hop,
  ) {}

  async dial(hop: Hop): Promise<SshSession> {
    const started = performance.now();
    const seconds = (): string => ((performance.now() - started) / 1000).toFixed(1);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dialOnce(hop);
      } catch (err) {
        if (err instanceof HostKeyRefusedError) throw err;
        const cause = err instanceof ConnectError ? err.cause : err instanceof Error ? err.message : String(err);
        // A refused login will not fix itself by waiting; a booting VM's refusals will.
        if (isAuthFailure(cause) || attempt >= this.options.attempts) {
          const tries = attempt === 1 ? 'on the first attempt' : `after ${attempt} attempts over ${seconds()} s`;
          const through = this.bastion === undefined ? 'direct' : 'bastion';
          throw new ConnectError(hop.endpoint, `${cause}, ${tries} (each waits up to ${Math.round(this.options.connectTimeoutMs / 1000)} s for the SSH handshake; ssh.connectTimeoutSeconds). ${connectHint(cause, through)}`);
        }
        await sleep(this.options.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  close(): void {
    void this.bastionSession?.then((s) => s.close(), () => undefined);
  }

  private async dialOnce(hop: Hop): Promise<SshSession> {
    const sock = this.bastion ? await this.channelThroughBastion(hop.endpoint) : undefined;
    return SshSession.connect({
      endpoint: hop.endpoint,
      credentials: hop.credentials,
      checkHostKey: this.options.checkHostKey,
      connectTimeoutMs: this.options.connectTimeoutMs,
      ...(sock ? { sock } : {}),
    });
  }

  private async channelThroughBastion(target: SshEndpoint) {
    const bastion = this.bastion!;
    this.bastionSession ??= SshSession.connect({
      endpoint: bastion.endpoint,
      credentials: bastion.credentials,
      checkHostKey: this.options.checkHostKey,
      connectTimeoutMs: this.options.connectTimeoutMs,
    }).catch((err: unknown) => {
      this.bastionSession = undefined;
      throw err;
    });
    let session: SshSession;
    try {
      session = await this.bastionSession;
    } catch (err) {
      // A refused bastion key stays a refusal; anything else is this node's connection failing, said so.
      if (err instanceof HostKeyRefusedError) throw err;
      throw new ConnectError(target, `its bastion failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      return await session.forwardTo(target.host, target.port);
    } catch (err) {
      throw new ConnectError(target, `through bastion ${bastion.endpoint.host}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function isAuthFailure(cause: string): boolean {
  return /authentication methods failed/i.test(cause);
}
