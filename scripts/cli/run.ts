import type { Command } from 'commander';
import { ConfigError } from '../../stacks/environment/errors.ts';
import { NothingChangedError, RefusedError } from '../provisioner/refused.ts';

/** Exit codes (README, "Exit codes"): 0 done, 1 failed while acting, 2 stopped before touching anything. */
export const EXIT_NOTHING_CHANGED = 2;

export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found; nothing was changed.\n`);
      process.exitCode = EXIT_NOTHING_CHANGED;
      return;
    }
    if (err instanceof NothingChangedError) {
      process.stderr.write(`herd: ${err instanceof RefusedError ? 'refused: ' : ''}${err.message}\n`);
      process.exitCode = EXIT_NOTHING_CHANGED;
      return;
    }
    process.stderr.write(`herd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
