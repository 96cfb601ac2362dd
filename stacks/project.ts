import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Environment } from './environment/load.ts';

/** The herd checkout: where bin/herd.mjs, the environments and the local state live. */
export const PROJECT_DIR = resolve(import.meta.dirname, '..');

const STATE_DIR = '.herd';

/** Local, git-ignored files of one environment: Terraform state, known_hosts. */
export function environmentStateDir(env: string, projectDir: string = PROJECT_DIR): string {
  return join(projectDir, STATE_DIR, env);
}

/**
 * The project directory as seen from a synthesized stack: `cdktf deploy <env>`
 * runs Terraform in cdktf.out/stacks/<env>. Relative, so that the JSON is the
 * same on every checkout and the state does not pin one machine's paths.
 */
export const PROJECT_DIR_FROM_STACK = '../../..';

/** environmentStateDir as Terraform sees it from the stack's working directory. */
export function environmentStateDirFromStack(env: string): string {
  return `${PROJECT_DIR_FROM_STACK}/${STATE_DIR}/${env}`;
}

/** Paths in an environment file are relative to that file; `~/` is the operator's home. */
export function resolveEnvPath(env: Environment, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(env.file), path);
}
