import type { Lab } from '../../scripts/lab/lab.ts';
import { formatSeconds, type Sample } from './stats.ts';

/** Round-trip times the benchmarks run at: loopback, a nearby data centre, a far one. */
export const RTTS_MS = [0, 10, 50] as const;

/** Where tools connect for a round-trip time: port 22 itself, or the lab's relay for it. */
export function portFor(rttMs: number): number {
  return rttMs === 0 ? 22 : 2200 + rttMs;
}

/** Starts the lab's relays for every round-trip time above 0 (lab.delay). */
export async function startRelays(lab: Lab): Promise<void> {
  for (const rttMs of RTTS_MS) if (rttMs > 0) await lab.delay({ rttMs, port: portFor(rttMs) });
}

/**
 * The least an SSH handshake can take, in round trips: TCP, the identification
 * strings and KEXINIT, the key exchange, the service request, one signed
 * public-key request. (A client that first asks whether the key is accepted,
 * as ssh2 and OpenSSH do, takes one more; one that tries "none" first, one
 * more again.)
 */
export const HANDSHAKE_MIN_ROUND_TRIPS = 5;

/** The least one command takes on a logged-in connection: the channel open, then the exec request. */
export const EXEC_MIN_ROUND_TRIPS = 2;

/**
 * A lower bound on running one command on N hosts at once: the CPU of N
 * handshakes spread over the cores, or the round trips of the handshake and
 * the command, whichever is longer, plus what the command itself takes.
 */
export function floorSeconds(options: { hosts: number; handshakeCpuSeconds: number; cores: number; rttMs: number; commandSeconds?: number }): number {
  const cpu = (options.hosts * options.handshakeCpuSeconds) / options.cores;
  const network = ((HANDSHAKE_MIN_ROUND_TRIPS + EXEC_MIN_ROUND_TRIPS) * options.rttMs) / 1000;
  return Math.max(cpu, network) + (options.commandSeconds ?? 0);
}

/**
 * A table with a column per cluster size and round-trip time: the floor's
 * row, then each tool's seconds and ratio to the floor (or why it did not run).
 */
export function sweepTable(options: {
  readonly sizes: readonly number[];
  readonly tools: readonly { readonly name: string; readonly missing?: string | undefined }[];
  readonly get: (tool: string, n: number, rttMs: number) => Sample | undefined;
  readonly floor: (n: number, rttMs: number) => number;
}): string[] {
  const columns = options.sizes.flatMap((n) => RTTS_MS.map((rttMs) => ({ n, rttMs })));
  return [
    `| | ${columns.map((c) => `N = ${c.n}, ${c.rttMs} ms`).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    `| floor | ${columns.map((c) => options.floor(c.n, c.rttMs).toFixed(2)).join(' | ')} |`,
    ...options.tools.map((tool) => {
      const cell = (c: { n: number; rttMs: number }): string => {
        const s = options.get(tool.name, c.n, c.rttMs);
        if (!s) return `not run${tool.missing ? `: ${tool.missing}` : ''}`;
        // A floor of 0 (no handshake CPU measured, no round-trip time) gives no ratio.
        const floor = options.floor(c.n, c.rttMs);
        return floor > 0 ? `${formatSeconds(s)} = **${(s.median / floor).toFixed(2)}×**` : formatSeconds(s);
      };
      return `| ${tool.name} | ${columns.map(cell).join(' | ')} |`;
    }),
  ];
}
