import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Why a path cannot take a private file, or undefined when it can. */
export function unsafeTarget(path: string): string | undefined {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return `${path} is a symbolic link: herd writes credentials only to a file of its own, not through a link`;
    if (!stat.isFile()) return `${path} exists and is not a regular file`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return undefined;
}

/**
 * Writes a file only its owner can read: a new 0600 file next to the target,
 * renamed over it, so that an existing file's looser mode, or a reader that
 * opened it before, never sees the content.
 */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.herd-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
