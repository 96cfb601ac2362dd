import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { LabPaths } from './paths.ts';

/**
 * The isolated network of a lab: a network namespace the lab creates, with
 * only its own loopback interface. Hosts started in it listen on loopback
 * addresses that exist in that namespace alone, so nothing on this machine
 * reaches them, except the lab's bastion (see enter.sh and ctl.sh), whose SSH
 * sessions run in it. The machine's own network gets no interface, address or
 * route.
 */
export interface IsolatedNetwork {
  /** The namespace's name, as `ip netns list` shows it. */
  readonly name: string;
  /** Its file under /run/netns, for `nsenter --net=`. */
  readonly file: string;
}

/** One per state directory, so that a crashed run's namespace is found again by the next start. */
export function isolatedNetworkOf(paths: LabPaths): IsolatedNetwork {
  const name = `herd-lab-${createHash('sha256').update(paths.stateDir).digest('hex').slice(0, 12)}`;
  return { name, file: `/run/netns/${name}` };
}

/** `ip` with these arguments, its output returned; a failure throws with ip's own message. */
export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function networkExists(net: IsolatedNetwork): boolean {
  return existsSync(net.file);
}

export function createNetwork(net: IsolatedNetwork): void {
  ip(['netns', 'add', net.name]);
  // A new namespace's loopback is down; with it up, 127.0.0.0/8 is local there as it is here.
  ip(['-n', net.name, 'link', 'set', 'lo', 'up']);
}

/** Removes the namespace; it vanishes once no process is left in it (the lab kills its hosts first). */
export function deleteNetwork(net: IsolatedNetwork): void {
  if (networkExists(net)) ip(['netns', 'delete', net.name]);
}
