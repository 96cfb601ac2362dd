import type { Environment } from '../../stacks/environment/load.ts';
import { formatIssue } from '../../stacks/environment/errors.ts';

/** An environment's warnings, one `WARNING: <file>:<line>: <path>: <message>` line each, on stderr unless told otherwise; they never fail a command. */
export function printWarnings(env: Environment, write: (text: string) => void = (text) => void process.stderr.write(text)): void {
  for (const warning of env.warnings) write(`WARNING: ${formatIssue(warning)}\n`);
}
