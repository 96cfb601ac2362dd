import type { Command } from 'commander';
import { ConfigError } from '../../stacks/environment/errors.ts';
import { RefusedError } from '../provisioner/refused.ts';

/** Exit codes: 0 done, 1 failed while acting, 2 the input is wrong or the change refused (nothing was touched). */
export const EXIT_INVALID_INPUT = 2;

export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found; nothing was changed.\n`);
      process.exitCode = EXIT_INVALID_INPUT;
      return;
    }
    if (err instanceof RefusedError) {
      process.stderr.write(`herd: refused: ${err.message}\n`);
      process.exitCode = EXIT_INVALID_INPUT;
      return;
    }
    process.stderr.write(`herd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
