import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment } from '../../stacks/environment/load.ts';
import { environmentStateDir, resolveEnvPath } from '../../stacks/project.ts';
import { newLockRecord, tryLockFile } from '../system/lock-file.ts';

// An OpenSSH known_hosts file, read and written the way ssh(1) does: plain and
// hashed (|1|salt|hash) host names, [host]:port for ports other than 22,
// comma-separated names, * and ? wildcards, !negation, @cert-authority and
// @revoked markers. Files herd writes stay usable with `ssh -o UserKnownHostsFile=`.

export interface HostKey {
  /** Key type as in the file, e.g. ssh-ed25519. */
  readonly type: string;
  /** Base64 of the key blob (what ssh2 hands a host verifier, base64-encoded). */
  readonly key: string;
}

/** The file of an environment: ssh.knownHostsFile (relative to the environment file, ~ for home), else .herd/<env>/known_hosts. */
export function knownHostsPath(env: Environment): string {
  const configured = env.spec.ssh.knownHostsFile;
  return configured === undefined ? join(environmentStateDir(env.name), 'known_hosts') : resolveEnvPath(env, configured);
}

/** How ssh names a host in known_hosts: the bare name on port 22, [name]:port otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Keys the file accepts for host:port (not @revoked or @cert-authority lines). */
export function lookup(file: string, host: string, port: number): HostKey[] {
  const token = hostToken(host, port);
  return readLines(file).flatMap((line) => {
    const entry = parseLine(line);
    return entry !== undefined && entry.marker === undefined && matches(entry.hosts, token) ? [{ type: entry.type, key: entry.key }] : [];
  });
}

/**
 * Accepts a key for host:port (first contact), unless the file came to know
 * the host meanwhile (another connection to it, another run): then it says
 * what the file holds, so that a key is written once and a different key is
 * still refused.
 */
export async function remember(file: string, host: string, port: number, key: HostKey): Promise<'recorded' | { readonly known: readonly HostKey[] }> {
  return withLock(file, () => {
    const known = lookup(file, host, port);
    if (known.length > 0) return { known };
    const lines = readLines(file).filter((l) => l !== '');
    writeLines(file, [...lines, `${hostToken(host, port)} ${key.type} ${key.key}`]);
    return 'recorded';
  });
}

/**
 * Drops every entry for the given names on this port, so that a replaced
 * machine at the same address is met as new rather than refused as an
 * attacker. Lines that also name other hosts keep those names. Returns how
 * many entries were dropped.
 */
export async function forget(file: string, hosts: readonly string[], port: number): Promise<number> {
  const tokens = new Set(hosts.map((h) => hostToken(h, port)));
  let dropped = 0;
  await withLock(file, () => {
    const before = readLines(file);
    if (before.length === 0) return;
    const after = before.flatMap((line): string[] => {
      const entry = parseLine(line);
      if (entry === undefined || entry.marker !== undefined) return [line];
      const names = entry.hosts.split(',');
      const kept = names.filter((name) => !(tokens.has(name) || [...tokens].some((t) => isHashedMatch(name, t))));
      if (kept.length === names.length) return [line];
      dropped += 1;
      return kept.length === 0 ? [] : [[kept.join(','), entry.type, entry.key, ...(entry.comment ? [entry.comment] : [])].join(' ')];
    });
    if (dropped > 0) writeLines(file, after);
  });
  return dropped;
}

interface Entry {
  readonly marker: string | undefined;
  readonly hosts: string;
  readonly type: string;
  readonly key: string;
  readonly comment: string | undefined;
}

function parseLine(line: string): Entry | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.split(/\s+/);
  const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
  const [hosts, type, key, ...comment] = fields;
  if (hosts === undefined || type === undefined || key === undefined) return undefined;
  return { marker, hosts, type, key, comment: comment.length > 0 ? comment.join(' ') : undefined };
}

/** OpenSSH's rule: some pattern matches and no negated pattern does. */
function matches(hosts: string, token: string): boolean {
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), token)) return false;
    } else if (isHashedMatch(pattern, token) || globMatch(pattern, token)) {
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, text: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === text.toLowerCase();
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

/** |1|base64(salt)|base64(HMAC-SHA1(salt, name)), as HashKnownHosts writes it. */
function isHashedMatch(pattern: string, token: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (m === null) return false;
  const digest = createHmac('sha1', Buffer.from(m[1]!, 'base64')).update(token).digest('base64');
  return digest === m[2];
}

function readLines(file: string): string[] {
  try {
    const text = readFileSync(file, 'utf8');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Write-then-rename, so that a reader (ssh, a parallel provisioner) never sees half a file. */
function writeLines(file: string, lines: readonly string[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.length === 0 ? '' : `${lines.join('\n')}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

const LOCK_WAIT_MS = 10_000;

/**
 * Read-modify-write under a lock file next to the file: the connections of
 * one run, and Terraform's parallel node removal hooks, each rewrite the same
 * file. A lock left by a process that died is taken over at once; one held by
 * a live process is waited for, briefly, since nobody holds it for longer
 * than a write.
 */
async function withLock<T>(file: string, fn: () => T): Promise<T> {
  const lock = `${file}.herd-lock`;
  const record = newLockRecord({ purpose: `update ${file}` });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const attempt = await tryLockFile(lock, record);
    if ('held' in attempt) {
      try {
        return fn();
      } finally {
        attempt.held.release();
      }
    }
    if (Date.now() > deadline) {
      const who = attempt.holder === undefined ? 'an unreadable lock record' : `process ${attempt.holder.pid} on ${attempt.holder.host}`;
      throw new Error(`${lock} has been held by ${who} for over ${LOCK_WAIT_MS / 1000} s; if no herd process is running, remove it`);
    }
    await sleep(20 + Math.random() * 30);
  }
}
