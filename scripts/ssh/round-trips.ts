// Round trips: what a command costs on a real network, where every exchange
// the client waits for costs the link's round-trip time again. Counted per
// connection from what the client sends and must hear back before it goes on
// (not timed), so that the counts are the same on loopback and across an
// ocean, and tests can assert them.

/**
 * The sequential round trips of one SSH connection so far. An exchange that
 * starts before another one ends overlaps it and is not added to it: two
 * commands run at once cost the round trips of the longer one.
 */
export class RoundTrips {
  #settled = 0;

  /** Round trips on the longest chain of exchanges that waited for each other. */
  get count(): number {
    return this.#settled;
  }

  /** Adds `cost` round trips after every exchange that ended before this one began. */
  async around<T>(cost: number, exchange: () => Promise<T>): Promise<T> {
    const base = this.#settled;
    try {
      return await exchange();
    } finally {
      this.#settled = Math.max(this.#settled, base + cost);
    }
  }

  /** An exchange already over, such as the handshake. */
  add(cost: number): void {
    this.#settled += cost;
  }
}

/**
 * Round trips of an exec, as ssh2 makes them: the channel open is answered
 * before the exec request can name the channel, the exec request is answered
 * before ssh2 hands over the channel, and only then does stdin leave, so a
 * command that reads stdin waits one more round trip for it. Its output and
 * exit status follow without a further request.
 */
export function execRoundTrips(hasStdin: boolean): number {
  return hasStdin ? 3 : 2;
}

/**
 * Requests of the SSH handshake that wait for their answer, as ssh2's debug
 * output names them: the key exchange (ECDH or DH), the service request that
 * starts authentication, and each authentication attempt (ssh2 asks whether
 * the server takes a public key before it signs with it).
 */
const HANDSHAKE_REQUEST = /^Outbound: Sending (KEXECDH_INIT|KEXDH_INIT|KEXDH_GEX_REQUEST|KEXDH_GEX_INIT|SERVICE_REQUEST|USERAUTH_REQUEST)\b/;

/**
 * Counts the handshake's round trips from ssh2's debug lines: the TCP
 * connection (or the channel opened through a bastion), the identification
 * strings and KEXINIT the client waits for, then each request above.
 */
export class HandshakeCounter {
  #requests = 0;
  #done = false;

  readonly debug = (line: string): void => {
    if (!this.#done && HANDSHAKE_REQUEST.test(line)) this.#requests += 1;
  };

  /** The handshake's round trips, once the connection is ready; a later rekey is not part of it. */
  finish(): number {
    this.#done = true;
    return 2 + this.#requests;
  }
}
