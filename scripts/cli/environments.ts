import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';

/** The environments folder chosen with the global --environments option. */
export function environmentsDir(command: Command): string {
  const dir = command.optsWithGlobals<{ environments?: string }>().environments;
  return dir === undefined ? DEFAULT_ENVIRONMENTS_DIR : resolve(dir);
}
