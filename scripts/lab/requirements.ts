import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The Debian packages the lab runs (the real parts of a lab host, the
 * routers, the nodes' BGP), found by a file each installs. `herd lab up`
 * installs the missing ones as root before it starts anything, or stops
 * saying which are missing.
 */
export interface Requirement {
  readonly file: string;
  readonly pkg: string;
  readonly why: string;
}

const ALWAYS: readonly Requirement[] = [
  { file: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'every lab host is a real sshd' },
  { file: '/usr/bin/ssh-keygen', pkg: 'openssh-client', why: 'host and login keys' },
  { file: '/usr/bin/sudo', pkg: 'sudo', why: 'the login user sudoes, as on a cloud image' },
  { file: '/usr/bin/unshare', pkg: 'util-linux', why: 'the hosts’ namespaces' },
  { file: '/usr/bin/openssl', pkg: 'openssl', why: 'the simulated kubeadm makes a real CA' },
  { file: '/usr/bin/gpg', pkg: 'gnupg', why: 'scripts dearmor apt keys' },
  { file: '/usr/sbin/ip', pkg: 'iproute2', why: 'the lab’s network namespaces' },
];

const FABRIC: readonly Requirement[] = [{ file: '/usr/sbin/bird', pkg: 'bird', why: 'calico-node’s BGP on every node (BIRD 1.6.8)' }];

const ROUTERS: readonly Requirement[] = [
  { file: '/usr/lib/frr/bgpd', pkg: 'frr', why: 'the routers and the load balancer (FRR)' },
  { file: '/usr/bin/envsubst', pkg: 'gettext-base', why: 'routers are loaded as the rendered file’s header says (envsubst | vtysh)' },
];

/** What a lab needs: hosts always; BIRD with a fabric; FRR with routers. */
export function requirements(options: { fabric: boolean; routers: boolean }): Requirement[] {
  return [...ALWAYS, ...(options.fabric ? FABRIC : []), ...(options.routers ? ROUTERS : [])];
}

export function missingRequirements(needed: readonly Requirement[], exists: (file: string) => boolean = existsSync): Requirement[] {
  return needed.filter((r) => !exists(r.file));
}

function describe(missing: readonly Requirement[]): string {
  return missing.map((r) => `${r.pkg} (${r.why})`).join(', ');
}

/** The services Debian's packages enable: the lab runs the daemons itself, in its own namespaces, never as the machine's. */
const SERVICES: Readonly<Record<string, readonly string[]>> = { frr: ['frr.service'], bird: ['bird.service', 'bird6.service'] };

export interface Installer {
  readonly isRoot: boolean;
  readonly hasApt: boolean;
  run(command: string, args: readonly string[]): void;
  /** Runs fn while no package may start a service. */
  withoutServiceStarts(fn: () => void): void;
  say(line: string): void;
}

const POLICY = '/usr/sbin/policy-rc.d';

const systemInstaller: Installer = {
  isRoot: process.getuid?.() === 0,
  hasApt: existsSync('/usr/bin/apt-get'),
  run(command, args) {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  },
  withoutServiceStarts(fn) {
    // invoke-rc.d and deb-systemd-invoke ask policy-rc.d first; exit 101 means "action forbidden".
    const own = !existsSync(POLICY);
    if (own) writeFileSync(POLICY, '#!/bin/sh\n# herd lab up: no service starts while the lab installs its packages.\nexit 101\n', { mode: 0o755 });
    try {
      fn();
    } finally {
      if (own) rmSync(POLICY, { force: true });
    }
  },
  say(line) {
    process.stderr.write(`${line}\n`);
  },
};

/**
 * Installs what is missing with apt-get, as root, keeping the packages'
 * services from starting (policy-rc.d) and disabling them where systemd runs:
 * nothing the lab installs may route in this machine's own network. Throws
 * naming the packages when it cannot install them.
 */
export function ensureRequirements(needed: readonly Requirement[], installer: Installer = systemInstaller, exists: (file: string) => boolean = existsSync): void {
  const missing = missingRequirements(needed, exists);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((r) => r.pkg))];
  if (!installer.isRoot || !installer.hasApt) {
    throw new Error(`the lab needs Debian packages that are not installed: ${describe(missing)}; install them as root: apt-get install ${packages.join(' ')}`);
  }
  installer.say(`herd lab: installing ${describe(missing)}`);
  try {
    installer.withoutServiceStarts(() => {
      installer.run('apt-get', ['update', '-qq']);
      installer.run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
    });
  } catch (err) {
    throw new Error(`the lab needs ${describe(missing)}, and apt-get could not install them: ${(err as Error).message}`);
  }
  const services = packages.flatMap((p) => SERVICES[p] ?? []);
  if (services.length > 0 && exists('/run/systemd/system')) installer.run('systemctl', ['disable', '--now', '--quiet', ...services]);
  const still = missingRequirements(needed, exists);
  if (still.length > 0) throw new Error(`apt-get ran, and still missing: ${describe(still)}`);
}
