// Small file helpers: atomic JSON state, lock files that work across the
// lab's hosts (PID namespaces differ, so locks carry a lease, not a PID).
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return structuredClone(fallback);
    throw err;
  }
}

/** Writes via a temporary file and rename, so readers never see half a file. */
export function writeFileAtomic(path, content, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function writeJson(path, value, mode = 0o644) {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** A held lock older than this is taken over: its holder died (critical sections take milliseconds). */
const LEASE_MS = 10_000;

/** Runs fn while holding the lock file `path` (created with O_EXCL). */
export function withLock(path, fn) {
  mkdirSync(dirname(path), { recursive: true });
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o666);
      writeSync(fd, token);
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(path).mtimeMs > LEASE_MS) unlinkSync(path);
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      sleepSync(5 + Math.floor(Math.random() * 10));
    }
  }
  try {
    return fn();
  } finally {
    try {
      if (readFileSync(path, 'utf8') === token) unlinkSync(path);
    } catch {
      // Taken over after a lease ran out; nothing to release.
    }
  }
}

export function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  }
}
