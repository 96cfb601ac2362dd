import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { quote } from 'shell-quote';
import { parse } from 'yaml';
import { IN_HOST, REPO_ROOT } from './paths.ts';
import { sudoersFile } from './users.ts';

/**
 * Commands a fresh Debian VM has that need a real kernel, systemd or the
 * network, with the directory Debian installs each in. The lab puts a
 * simulator in their place. kubeadm, kubelet and kubectl are not here: they
 * appear only when the simulated apt-get installs their packages.
 */
export const SIMULATED_BASE_COMMANDS: Readonly<Record<string, string>> = {
  systemctl: '/usr/bin',
  modprobe: '/usr/sbin',
  sysctl: '/usr/sbin',
  swapoff: '/usr/sbin',
  'apt-get': '/usr/bin',
  'apt-mark': '/usr/bin',
  'dpkg-query': '/usr/bin',
  curl: '/usr/bin',
};

/**
 * What a fresh VM does not have but this machine may (a kubectl from another
 * package, say): hidden inside every lab host, so that only the simulated
 * packages bring them.
 */
export const ABSENT_COMMANDS = ['kubeadm', 'kubelet', 'kubectl', 'crictl', 'ctr', 'containerd', 'runc'];
/** A container image's policy-rc.d forbids every service start; a VM has none (invoke-rc.d(8)). */
const ABSENT_FILES = ['/usr/sbin/policy-rc.d'];
export const ABSENT_PACKAGES = new Set(['kubeadm', 'kubelet', 'kubectl', 'cri-tools', 'kubernetes-cni', 'containerd.io', 'containerd', 'runc']);

const VERSIONS_TABLE = join(REPO_ROOT, 'stacks', 'versions', 'versions.yaml');

/** Directories of the standard PATH, as real directories (on merged-/usr systems /sbin is a link). */
const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface HostIdentity {
  readonly name: string;
  readonly address: string;
  readonly user: string;
}

/** A command's stand-in: its simulator's bundle (simulator-bundles.ts). */
export function simulatorWrapper(command: string, nodePath: string): string {
  return `#!/bin/sh\nexec ${quote([nodePath, `${IN_HOST.bundleDir}/${command}.mjs`])} "$@"\n`;
}

/**
 * Every place a simulated command must shadow: its Debian location, plus any
 * other PATH directory where this machine has a real one, so that neither
 * PATH order nor an absolute path reaches the real tool inside a lab host.
 */
function shadowPaths(command: string, debianDir: string): string[] {
  return [...new Set([debianDir, ...machinePaths(command).map(dirname)])].map((d) => join(d, command));
}

/** Where this machine has a command on the standard PATH. */
function machinePaths(command: string): string[] {
  const found = new Set<string>();
  for (const dir of PATH_DIRS) {
    if (!existsSync(dir)) continue;
    const path = join(realpathSync(dir), command);
    if (existsSync(path)) found.add(path);
  }
  return [...found];
}

/** Paths enter.sh deletes inside every host (the overlay records a whiteout; the machine keeps its file). */
export function hiddenPaths(): string[] {
  return [...ABSENT_COMMANDS.flatMap(machinePaths), ...ABSENT_FILES.filter((f) => existsSync(f))];
}

function sshdConfig(address: string): string {
  return [
    '# Written by the herd lab: one sshd per lab host.',
    `ListenAddress ${address}:22`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    // Without PAM, sshd starts sessions itself: fast, and nothing from the machine's PAM stack runs.
    'UsePAM no',
    'PermitRootLogin no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    // The provisioner sends files over SFTP.
    'Subsystem sftp internal-sftp',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    '',
  ].join('\n');
}

function osRelease(): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return fields;
}

/** The distribution's own package sources, as a fresh cloud image has them. */
function distributionSources(): string {
  const os = osRelease();
  const codename = os['VERSION_CODENAME'] ?? 'bookworm';
  if (os['ID'] === 'ubuntu') {
    return `Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: ${codename} ${codename}-updates ${codename}-security\nComponents: main universe\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n`;
  }
  return [
    `Types: deb\nURIs: http://deb.debian.org/debian\nSuites: ${codename} ${codename}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    `Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: ${codename}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  ].join('\n');
}

function hostsFile(host: HostIdentity): string {
  // sudo looks the host's own name up; without this line it complains on every call.
  return [
    '127.0.0.1\tlocalhost',
    `${host.address}\t${host.name}`,
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

type WriteFile = (path: string, content: string, mode?: number) => void;

function writerFor(seedDir: string): WriteFile {
  return (path, content, mode = 0o644) => {
    const file = join(seedDir, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, content, { mode });
    chmodSync(file, mode);
  };
}

/** The machine's dpkg database minus the packages the lab simulates: a fresh VM has none of them. */
function freshDpkgStatus(): string {
  const paragraphs = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/).filter((p) => p.trim() !== '');
  const kept = paragraphs.filter((p) => !ABSENT_PACKAGES.has(/^Package: (.*)$/m.exec(p)?.[1] ?? ''));
  return `${kept.map((p) => p.replace(/\n+$/, '')).join('\n\n')}\n\n`;
}

/**
 * Files every host of a lab starts with (its "disk image"): simulator
 * wrappers in place of the real tools and the bundles they run (`bundleDir`,
 * from simulator-bundles.ts), sudo rule, clean root profile, distribution
 * package sources, dpkg database. enter.sh copies them in before the host's
 * own seed.
 */
export function writeBaseSeed(seedDir: string, user: string, nodePath: string, bundleDir: string): void {
  const write = writerFor(seedDir);
  cpSync(bundleDir, join(seedDir, IN_HOST.bundleDir.slice(1)), { recursive: true });
  const sudoers = sudoersFile(user);
  write(sudoers.path, sudoers.content, sudoers.mode);
  // A clean root login: the machine's root profile (pyenv and friends) must not run in a lab host.
  mkdirSync(join(seedDir, 'root'), { recursive: true, mode: 0o700 });
  write('root/.bashrc', readFileSync('/etc/skel/.bashrc', 'utf8'));
  write('root/.profile', readFileSync('/etc/skel/.profile', 'utf8'));
  write(`etc/apt/sources.list.d/${osRelease()['ID'] === 'ubuntu' ? 'ubuntu' : 'debian'}.sources`, distributionSources());
  write('var/lib/dpkg/status', freshDpkgStatus());
  for (const [command, debianDir] of Object.entries(SIMULATED_BASE_COMMANDS)) {
    for (const path of shadowPaths(command, debianDir)) write(path.slice(1), simulatorWrapper(command, nodePath), 0o755);
  }
  // The simulators read the table of versions from this JSON copy when it is current (simulators/lib/versions.mjs).
  const table = statSync(VERSIONS_TABLE);
  write(`${IN_HOST.libDir.slice(1)}/versions.json`, JSON.stringify({ source: { size: table.size, mtimeMs: table.mtimeMs }, table: parse(readFileSync(VERSIONS_TABLE, 'utf8')) }));
  for (const dir of [IN_HOST.codeDir, IN_HOST.nodeModulesDir, IN_HOST.versionsDir, '/var/lib/herd-lab']) {
    mkdirSync(join(seedDir, dir.slice(1)), { recursive: true, mode: 0o755 });
  }
}

/** A host's own first-boot files: its name, address, machine ID, sshd listening on its address. */
export function writeHostSeed(seedDir: string, host: HostIdentity): void {
  const write = writerFor(seedDir);
  write('etc/hostname', `${host.name}\n`);
  write('etc/hosts', hostsFile(host));
  write('etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  write('etc/ssh/sshd_config', sshdConfig(host.address));
}
