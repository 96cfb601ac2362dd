import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../paths.ts';

// VMware's vCenter simulator for tests and benchmarks: our Go main (this
// folder) around govmomi's `simulator` package, built from Debian's
// golang-github-vmware-govmomi-dev with Debian's Go, on first use, into a
// git-ignored folder, and again whenever its source changes.

/** The inventory a test asks for (main.go's model.go has the same shape). Sizes in GiB, MiB and MHz. */
export interface VcsimModel {
  readonly user: string;
  readonly password: string;
  /** Objects per RetrievePropertiesEx page when the client asks for no maxObjects (vCenter pages too). */
  readonly pageSize?: number;
  /** Milliseconds added to every call once the inventory is built, to model a vCenter farther away. */
  readonly delayMs?: number;
  readonly datacenters: readonly VcsimDatacenter[];
}

export interface VcsimDatacenter {
  readonly name: string;
  /** VM folders as paths under the datacenter's VM folder, e.g. "kubernetes", "templates/linux". */
  readonly folders?: readonly string[];
  readonly clusters?: readonly VcsimCluster[];
  readonly datastoreClusters?: readonly string[];
  readonly datastores?: readonly VcsimDatastore[];
  /** Distributed port groups, on one switch that every host joins. */
  readonly portGroups?: readonly string[];
  readonly vms?: readonly VcsimVm[];
}

export interface VcsimCluster {
  readonly name: string;
  readonly hosts: readonly VcsimHost[];
  /** Resource pools as paths under the cluster's root pool. */
  readonly resourcePools?: readonly string[];
}

export interface VcsimHost {
  readonly name: string;
  readonly cpuCores: number;
  readonly cpuThreads: number;
  readonly cpuMhz: number;
  readonly memoryMiB: number;
  readonly connected?: boolean;
  readonly maintenance?: boolean;
}

export interface VcsimDatastore {
  readonly name: string;
  readonly capacityGiB: number;
  readonly freeGiB: number;
  readonly datastoreCluster?: string;
}

export interface VcsimVm {
  readonly name: string;
  readonly folder?: string;
  readonly cluster: string;
  readonly host?: string;
  readonly resourcePool?: string;
  readonly datastore: string;
  readonly network?: string;
  readonly guestId: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly disksGiB: readonly number[];
  readonly template?: boolean;
  readonly snapshot?: boolean;
  readonly poweredOn?: boolean;
}

export interface RunningVcsim {
  /** The SOAP endpoint, https://<address>:443/sdk. */
  readonly url: string;
  /** The address alone, what an environment file's infrastructure.server says. */
  readonly server: string;
  /** PEM file of the CA that signed the server's certificate: trust it to verify TLS. */
  readonly caFile: string;
  stop(): Promise<void>;
}

const SOURCE_DIR = import.meta.dirname;
const BUILD_DIR = join(REPO_ROOT, '.herd', 'vcsim');
const BINARY = join(BUILD_DIR, 'vcsim');
const GOPATH = '/usr/share/gocode';
const GOVMOMI = join(GOPATH, 'src/github.com/vmware/govmomi/simulator');
const PACKAGES = 'golang-go golang-github-vmware-govmomi-dev';

/** Builds the simulator unless the binary of this exact source is there; returns its path. */
export function vcsimBinary(): string {
  const stamp = sourceHash();
  const stampFile = `${BINARY}.source-sha256`;
  if (existsSync(BINARY) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return BINARY;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error !== undefined || !existsSync(GOVMOMI)) {
    throw new Error(`vcsim cannot be built: it needs Debian's Go and govmomi (${go.error === undefined ? `${GOVMOMI} is missing` : 'no `go` on PATH'}). Install them with: apt-get install -y ${PACKAGES}`);
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const partial = `${BINARY}.partial-${process.pid}`;
  const build = spawnSync('go', ['build', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    encoding: 'utf8',
    env: { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(BUILD_DIR, 'go-build') },
  });
  if (build.status !== 0) throw new Error(`building vcsim failed:\n${build.stderr}`);
  renameSync(partial, BINARY);
  writeFileSync(stampFile, stamp);
  return BINARY;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.go')).sort()) hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  return hash.digest('hex');
}

/**
 * Starts vcsim on port 443 of `address` (vCenter's `server` takes no port)
 * with the given inventory. The model, credentials included, travels in a
 * file only its owner can read, never on the command line.
 */
export async function startVcsim(address: string, model: VcsimModel): Promise<RunningVcsim> {
  const binary = vcsimBinary();
  const dir = mkdtempSync(join(tmpdir(), 'herd-vcsim-'));
  const modelFile = join(dir, 'model.json');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(modelFile, JSON.stringify(model), { mode: 0o600 });
  const child = spawn(binary, ['-listen', `${address}:443`, '-model', modelFile, '-ca', caFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vcsim did not start within 60 s on ${address}:443: ${stderr}`)), 60_000);
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`vcsim exited (${code}) before it answered on ${address}:443: ${stderr.trim()}`));
      });
    });
    return { url, server: address, caFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
