import { join, resolve } from 'node:path';

/** The herd checkout: where bin/herd.mjs, the environments and the local state live. */
export const PROJECT_DIR = resolve(import.meta.dirname, '..');

/** Local, git-ignored files of one environment: Terraform state, known_hosts. */
export function environmentStateDir(env: string, projectDir: string = PROJECT_DIR): string {
  return join(projectDir, '.herd', env);
}

/**
 * The project directory as seen from a synthesized stack: `cdktf deploy <env>`
 * runs Terraform in cdktf.out/stacks/<env>. Relative, so that the JSON is the
 * same on every checkout and the state does not pin one machine's paths.
 */
export const PROJECT_DIR_FROM_STACK = '../../..';
