// BIRD as calico-node runs it: runit's bird service starts
// `bird -R -s /var/run/calico/bird.ctl -c /etc/calico/confd/config/bird.cfg`
// in the foreground and starts it again a second after it dies; confd writes
// the configuration files, has BIRD check them (bird -p) before they replace
// the old ones, and asks a running BIRD to reload them (birdc configure).
// This is Debian's BIRD 1.6.8, the BIRD calico/bird is built from.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIG_DIR = '/etc/calico/confd/config';
export const SOCKET = '/var/run/calico/bird.ctl';
export const PID_FILE = '/var/run/calico/bird.pid';
const RESTART_DELAY_MS = 1_000;

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Writes confd's files if they differ from what is there: into a staging
 * directory first, checked by `bird -p`, then renamed into place. Returns
 * 'unchanged' or 'written'; throws with BIRD's complaint if the files do not
 * parse (the old ones stay).
 */
export function writeConfig(files) {
  if (Object.entries(files).every(([name, text]) => read(join(CONFIG_DIR, name)) === text)) return 'unchanged';
  const staging = join(CONFIG_DIR, '.staging');
  rmSync(staging, { recursive: true, force: true });
  // The files hold BGP passwords: root only.
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(staging, name), text, { mode: 0o600 });
  try {
    execFileSync('bird', ['-p', '-c', join(staging, 'bird.cfg')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`BIRD refuses the generated configuration: ${(err.stderr || err.message).trim()}`);
  }
  for (const name of Object.keys(files)) renameSync(join(staging, name), join(CONFIG_DIR, name));
  rmSync(staging, { recursive: true, force: true });
  return 'written';
}

/** birdc against calico-node's socket; resolves with its output, or undefined when BIRD does not answer. */
export function birdc(...args) {
  return new Promise((resolve) => {
    execFile('birdc', ['-s', SOCKET, ...args], { encoding: 'utf8', timeout: 3_000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The one BIRD of this node, supervised as runsv does. */
export class Bird {
  #child;
  #restartAt = 0;
  #log;
  bootedAt;
  reconfiguredAt;

  constructor(log) {
    this.#log = log;
    // A BIRD left by an earlier calico-node of this host is not ours to supervise: end it.
    const stale = Number(read(PID_FILE));
    if (Number.isInteger(stale) && stale > 0) {
      try {
        process.kill(stale, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }

  get running() {
    return this.#child !== undefined;
  }

  /** Starts BIRD unless it runs or its restart delay has not passed. */
  ensureRunning() {
    if (this.#child || Date.now() < this.#restartAt) return;
    mkdirSync('/var/run/calico', { recursive: true });
    const log = openSync('/var/log/calico/bird.log', 'a');
    const child = spawn('bird', ['-f', '-R', '-s', SOCKET, '-P', PID_FILE, '-c', join(CONFIG_DIR, 'bird.cfg')], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.#child = child;
    this.bootedAt = new Date().toISOString();
    this.reconfiguredAt = this.bootedAt;
    this.#log(`started BIRD (pid ${child.pid})`);
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#restartAt = Date.now() + RESTART_DELAY_MS;
      this.#log(`BIRD (pid ${child.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${RESTART_DELAY_MS / 1000} s`);
    });
  }

  /** Asks the running BIRD to reload its files. */
  async configure() {
    if (!this.#child) return;
    const out = await birdc('configure');
    if (out !== undefined && /Reconfigur/.test(out)) {
      this.reconfiguredAt = new Date().toISOString();
      this.#log('BIRD reconfigured');
    } else this.#log(`birdc configure failed: ${(out ?? 'no answer').trim()}`);
  }

  /** Stops BIRD (the node left, or calico-node no longer runs here); its sessions close. */
  async stop() {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(PID_FILE, { force: true });
    this.#log(`stopped BIRD (pid ${child.pid})`);
  }
}
