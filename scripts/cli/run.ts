import type { Command } from 'commander';
import { ConfigError, type ConfigIssue } from '../../stacks/environment/errors.ts';
import { NothingChangedError, RefusedError } from '../provisioner/refused.ts';

/** Exit codes (README, "Exit codes"): 0 done, 1 failed while acting, 2 stopped before touching anything. */
export const EXIT_FAILED = 1;
export const EXIT_NOTHING_CHANGED = 2;

/** How a command that stopped with `err` reports it: what to print on stderr, and with which exit code. */
export interface Outcome {
  readonly kind: 'refused' | 'failed';
  readonly exitCode: number;
  readonly text: string;
  readonly issues: readonly ConfigIssue[];
}

export function outcomeOf(err: unknown): Outcome {
  if (err instanceof ConfigError) {
    const count = `${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found; nothing was changed.`;
    return { kind: 'refused', exitCode: EXIT_NOTHING_CHANGED, text: `${err.message}\n${count}\n`, issues: err.issues };
  }
  if (err instanceof NothingChangedError) {
    return { kind: 'refused', exitCode: EXIT_NOTHING_CHANGED, text: `herd: ${err instanceof RefusedError ? 'refused: ' : ''}${err.message}\n`, issues: [] };
  }
  return { kind: 'failed', exitCode: EXIT_FAILED, text: `herd: ${err instanceof Error ? err.message : String(err)}\n`, issues: [] };
}

export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    const outcome = outcomeOf(err);
    process.stderr.write(outcome.text);
    process.exitCode = outcome.exitCode;
  }
}
