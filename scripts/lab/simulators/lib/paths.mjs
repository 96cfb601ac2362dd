// Paths inside a lab host (scripts/lab/paths.ts IN_HOST names the same ones).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This host's io directory on the machine: host.json, journal.jsonl, faults.json. */
export const HOST_IO_DIR = '/run/herd-lab/host';
/** The lab's shared cluster state. */
export const CLUSTER_DIR = '/run/herd-lab/cluster';
/** Kernel and service-manager state, gone when the host goes, like a VM's RAM. */
export const RUNTIME_DIR = '/run/herd-lab/state';
/** Simulator state that a VM would keep on disk. */
export const DISK_DIR = '/var/lib/herd-lab';
export const SIMULATORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES_DIR = join(SIMULATORS_DIR, 'fixtures');
/** The simulators bundled, one file per command (scripts/lab/simulator-bundles.ts); the wrappers run these. */
export const BUNDLE_DIR = '/usr/local/lib/herd-lab/bundle';
