import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stillRuns, thisProcess, type ProcessIdentity } from './processes.ts';

/**
 * An exclusive lock file that names its holder, for herd's runs on one
 * machine (the apply lock, known_hosts updates).
 *
 * Taking a free lock is one link(2): it fails if the file exists, and the
 * file, written before it is linked, is never seen half-written.
 *
 * Taking over a lock whose holder died is the hard part: "read it, see the
 * holder is dead, delete it, link ours" lets a second taker delete the lock
 * the first has just linked, and both proceed. So a taker may delete a stale
 * lock only after winning the right to delete exactly that record: it links a
 * marker named after the record's digest, which only one taker can create.
 * The marker stays behind (a later taker that read the same stale record
 * finds it and backs off), and markers are swept when they are old. A taker
 * that died while holding a marker left a stale marker, superseded the same
 * way.
 */

/** What a lock file holds: the holder's identity, plus whatever the lock's users want to tell a refused run. */
export interface LockRecord extends ProcessIdentity {
  /** Unique per holding, so that two holdings never have the same record. */
  readonly token: string;
}

export interface HeldLockFile {
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void;
}

export type LockAttempt<T> = { readonly held: HeldLockFile } | { readonly holder: T | undefined };

/** Markers older than this cannot be in use: a taker acts on what it read within milliseconds. */
const MARKER_SWEEP_MS = 10 * 60_000;
/** How long a taker waits for another taker that is superseding the same stale record. */
const SUPERSEDE_WAIT_MS = 5_000;
const MARKER = '.supersedes-';

export function newLockRecord<T extends object>(fields: T): T & LockRecord {
  return { ...fields, ...thisProcess(), token: randomBytes(8).toString('hex') };
}

/**
 * Tries once to take the lock: returns the held lock, or the record of the
 * run that holds it (undefined if the file cannot be read as a record).
 */
export async function tryLockFile<T extends LockRecord>(file: string, record: T): Promise<LockAttempt<T>> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const text = JSON.stringify(record);
  const mine = `${file}.${process.pid}.${record.token}`;
  writeFileSync(mine, text, { mode: 0o600 });
  const deadline = Date.now() + SUPERSEDE_WAIT_MS;
  try {
    for (;;) {
      if (link(mine, file)) {
        sweepMarkers(file);
        return { held: { release: () => removeIfHolds(file, text) } };
      }
      const current = readText(file);
      if (current === undefined) continue;
      const holder = parseRecord<T>(current);
      if (holder === undefined || stillRuns(holder)) return { holder };
      if (supersede(file, current, mine) === 'removed') continue;
      // Another taker is superseding the same record: it links its own lock next.
      if (Date.now() > deadline) return { holder: parseRecord<T>(readText(supersedeMarker(file, current)) ?? '') ?? holder };
      await sleep(2 + Math.random() * 8);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The record a lock file holds, or undefined when it is free or unreadable. */
export function readLockFile<T extends LockRecord>(file: string): T | undefined {
  const text = readText(file);
  return text === undefined ? undefined : parseRecord<T>(text);
}

/**
 * Deletes `file` if it still holds `staleText`, once this process owns the
 * marker for that record; a stale marker (its taker died) is superseded first.
 */
function supersede(file: string, staleText: string, mine: string, depth = 0): 'removed' | 'busy' {
  const marker = supersedeMarker(file, staleText);
  if (link(mine, marker)) {
    // Only the marker's owner deletes a file holding this record, so it is still the stale one or gone.
    removeIfHolds(file, staleText);
    return 'removed';
  }
  const markerText = readText(marker);
  if (markerText === undefined || depth >= 3) return 'busy';
  const markerHolder = parseRecord<LockRecord>(markerText);
  if (markerHolder !== undefined && !stillRuns(markerHolder)) supersede(marker, markerText, mine, depth + 1);
  return 'busy';
}

/** The marker a taker links to win the right to delete a stale lock holding `recordText` (part of the on-disk format). */
export function supersedeMarker(file: string, recordText: string): string {
  return `${file}${MARKER}${createHash('sha256').update(recordText).digest('hex').slice(0, 24)}`;
}

function sweepMarkers(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}${MARKER}`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > MARKER_SWEEP_MS) rmSync(path, { force: true });
    } catch {
      // Swept by another run at the same moment.
    }
  }
}

function link(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function removeIfHolds(file: string, text: string): void {
  if (readText(file) === text) rmSync(file, { force: true });
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseRecord<T extends LockRecord>(text: string): T | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockRecord> | null;
    return typeof value?.pid === 'number' && typeof value.host === 'string' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
