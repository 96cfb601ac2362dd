import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectError, HostKeyRefusedError, SshSession, type HostKeyCheck, type SshCredentials, type SshEndpoint } from './session.ts';

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
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      try {
        return await this.dialOnce(hop);
      } catch (err) {
        // A changed host key or a refused login will not fix itself by waiting.
        if (err instanceof HostKeyRefusedError || isAuthFailure(err)) throw err;
        lastError = err;
        if (attempt < this.options.attempts) await sleep(this.options.backoffMs * 2 ** (attempt - 1));
      }
    }
    throw lastError;
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

function isAuthFailure(err: unknown): boolean {
  return err instanceof ConnectError && /authentication methods failed/i.test(err.message);
}
