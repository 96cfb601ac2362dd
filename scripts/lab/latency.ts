import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTimeOf } from '../system/processes.ts';
import { LAB_CODE_DIR, type LabPaths } from './paths.ts';
import { isRunning, killAndWait, type HostProcess } from './processes.ts';
import { NODE_PATH } from './sandbox.ts';

/**
 * A round-trip time on the way to the lab's hosts (latency-relay.mjs): a relay
 * on this machine listens on every host reachable from here (each host of the
 * machine's network, or the bastion, through which every channel to the
 * isolated hosts passes) at its own port, and forwards to port 22 there.
 * Connecting to that port instead of 22 is the knob; several relays (10 ms,
 * 50 ms) run side by side on different ports.
 */
export interface LatencyRelay {
  readonly rttMs: number;
  readonly port: number;
}

interface RelayRecord extends LatencyRelay {
  readonly process: Pick<HostProcess, 'pid' | 'startTime'>;
}

const RELAY = join(LAB_CODE_DIR, 'latency-relay.mjs');
const relaysDir = (paths: LabPaths): string => join(paths.stateDir, 'relays');
const recordFile = (paths: LabPaths, port: number): string => join(relaysDir(paths), `${port}.json`);

function records(paths: LabPaths): RelayRecord[] {
  if (!existsSync(relaysDir(paths))) return [];
  return readdirSync(relaysDir(paths)).filter((f) => f.endsWith('.json')).flatMap((f) => {
    try {
      return [JSON.parse(readFileSync(join(relaysDir(paths), f), 'utf8')) as RelayRecord];
    } catch {
      return [];
    }
  });
}

const running = (r: RelayRecord): boolean => isRunning({ ...r.process, initPid: r.process.pid });

/** Starts a relay of `rttMs` on `port` in front of these addresses (replacing one on that port); resolves once it listens. */
export async function startRelay(paths: LabPaths, relay: LatencyRelay, addresses: readonly string[]): Promise<void> {
  if (!Number.isInteger(relay.port) || relay.port < 1024 || relay.port > 65535 || relay.port === 22) throw new Error(`a latency relay listens on a port from 1024 to 65535, not ${relay.port}`);
  if (!Number.isFinite(relay.rttMs) || relay.rttMs < 0) throw new Error(`a latency relay's round-trip time is a number of milliseconds ≥ 0, not ${relay.rttMs}`);
  await stopRelays(paths, relay.port);
  mkdirSync(relaysDir(paths), { recursive: true });
  const pidFile = join(relaysDir(paths), `${relay.port}.pid`);
  rmSync(pidFile, { force: true });
  const child = spawn(NODE_PATH, [RELAY, String(relay.rttMs), String(relay.port), '22', pidFile, ...addresses], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `the latency relay on port ${relay.port} exited (${signal ?? `code ${code}`}): ${stderr.trim()}`));
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile)) {
    if (exited !== undefined) throw new Error(exited);
    if (Date.now() > deadline) throw new Error(`the latency relay on port ${relay.port} did not listen within 10 s`);
    await sleep(10);
  }
  child.stderr.destroy();
  child.unref();
  const startTime = startTimeOf(child.pid!);
  if (startTime === undefined) throw new Error(exited ?? `the latency relay on port ${relay.port} exited at once`);
  writeFileSync(recordFile(paths, relay.port), `${JSON.stringify({ ...relay, process: { pid: child.pid!, startTime } } satisfies RelayRecord)}\n`);
}

/** The relays of this lab that run. */
export function relays(paths: LabPaths): LatencyRelay[] {
  return records(paths).filter(running).map(({ rttMs, port }) => ({ rttMs, port }));
}

/** Stops the lab's relays (the one on `port`, or all), by the PIDs it recorded. */
export async function stopRelays(paths: LabPaths, port?: number): Promise<void> {
  const stopping = records(paths).filter((r) => port === undefined || r.port === port);
  await killAndWait(stopping.filter(running).map((r) => r.process.pid));
  for (const r of stopping) rmSync(recordFile(paths, r.port), { force: true });
  for (const r of stopping) rmSync(join(relaysDir(paths), `${r.port}.pid`), { force: true });
  if (port === undefined) rmSync(relaysDir(paths), { recursive: true, force: true });
}
