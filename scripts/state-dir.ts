import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Environment } from '../stacks/environment/load.ts';

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/**
 * herd's own state for an environment (known_hosts, logs, locks): `.herd/<env>/`
 * in the project, or under HERD_STATE_DIR. It does not depend on the working
 * directory, so `cdktf deploy` (which runs in cdktf.out/) finds the same files.
 */
export function stateDir(envName: string): string {
  return join(process.env['HERD_STATE_DIR'] ?? join(PROJECT_ROOT, '.herd'), envName);
}

/** Paths in an environment file are relative to that file; `~/` is the operator's home. */
export function resolveEnvPath(env: Environment, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(env.file), path);
}

export function knownHostsFile(env: Environment): string {
  const configured = env.spec.ssh.knownHostsFile;
  return configured === undefined ? join(stateDir(env.name), 'known_hosts') : resolveEnvPath(env, configured);
}
