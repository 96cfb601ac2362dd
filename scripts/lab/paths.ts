import { join, resolve } from 'node:path';

/** The repository root: the lab binds its code into every host from here. */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** scripts/lab, bound read-only into every host. */
export const LAB_CODE_DIR = import.meta.dirname;

/**
 * Paths inside a lab host. The simulators (simulators/lib/paths.mjs) read the
 * same paths; change both together.
 */
export const IN_HOST = {
  libDir: '/usr/local/lib/herd-lab',
  codeDir: '/usr/local/lib/herd-lab/lab',
  simulatorsDir: '/usr/local/lib/herd-lab/lab/simulators',
  /** The simulators bundled, one file per command (simulator-bundles.ts): what the commands' wrappers run. */
  bundleDir: '/usr/local/lib/herd-lab/bundle',
  /** The repository's node_modules: yaml for the simulators, tsx and zod for calico-node's configuration generator. */
  nodeModulesDir: '/usr/local/lib/herd-lab/node_modules',
  /** herd's table of versions (stacks/versions), which the simulators read as herd does. */
  versionsDir: '/usr/local/lib/herd-lab/versions',
  ctl: '/usr/local/lib/herd-lab/lab/sandbox/ctl.sh',
  /** This host's io directory on the machine: host.json, journal, faults, sshd log. */
  ioDir: '/run/herd-lab/host',
  clusterDir: '/run/herd-lab/cluster',
} as const;

/** Where a lab's state lives on the machine, under its state directory. */
export class LabPaths {
  readonly stateDir: string;

  constructor(stateDir: string) {
    this.stateDir = resolve(stateDir);
  }

  get labFile(): string {
    return join(this.stateDir, 'lab.json');
  }
  get clusterDir(): string {
    return join(this.stateDir, 'cluster');
  }
  /** Files every host starts with, copied in before the host's own seed. */
  get baseSeedDir(): string {
    return join(this.stateDir, 'base-seed');
  }
  get hostsDir(): string {
    return join(this.stateDir, 'hosts');
  }
  hostDir(name: string): string {
    return join(this.hostsDir, name);
  }
  /** Bound into the host at IN_HOST.ioDir. */
  ioDir(name: string): string {
    return join(this.hostDir(name), 'io');
  }
  /** Files copied into the host's upper layer before its overlay is mounted. */
  seedDir(name: string): string {
    return join(this.hostDir(name), 'seed');
  }
  /** Mount point of the host's tmpfs, inside its own mount namespace only. */
  mntDir(name: string): string {
    return join(this.hostDir(name), 'mnt');
  }
  processFile(name: string): string {
    return join(this.hostDir(name), 'process.json');
  }
  /** Output of the sandbox's setup (enter.sh). */
  sandboxLog(name: string): string {
    return join(this.hostDir(name), 'sandbox.log');
  }
  journalFile(name: string): string {
    return join(this.ioDir(name), 'journal.jsonl');
  }
  faultsFile(name: string): string {
    return join(this.ioDir(name), 'faults.json');
  }
  sshdLog(name: string): string {
    return join(this.ioDir(name), 'sshd.log');
  }
}
