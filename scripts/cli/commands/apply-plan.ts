import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError, type ConfigIssue } from '../../../stacks/environment/errors.ts';
import { provision } from '../../provisioner/provision.ts';
import { planErrorDocument } from '../../provisioner/plan-document.ts';
import type { Console } from '../../provisioner/report.ts';
import { environmentsDir } from '../environments.ts';
import { printWarnings } from '../warnings.ts';
import { EXIT_FAILED, outcomeOf } from '../run.ts';

/** herd plan's exit codes, as `terraform plan -detailed-exitcode` has them (README, "Exit codes"). */
const PLAN_NO_CHANGES = 0;
const PLAN_CHANGES_PENDING = 2;

interface Options {
  readonly verifyTimeout: string;
  readonly lockTimeout?: string;
  readonly allowEndOfLife?: boolean;
  readonly json?: boolean;
}

function provisionCommand(name: 'apply' | 'plan', description: string): Command {
  const command = new Command(name)
    .description(description)
    .argument('<env>', 'environment name')
    .option('--verify-timeout <seconds>', 'how long verify waits for nodes to be Ready and BGP sessions Established', '300')
    .option('--allow-end-of-life', 'build a new cluster on a Kubernetes minor past its end of life, to rehearse upgrading a cluster that runs one');
  // Only apply locks the environment: a plan reads and may run beside an apply.
  if (name === 'apply') command.option('--lock-timeout <seconds>', 'wait this long for another herd apply on the environment to finish, instead of failing at once', '0');
  else command.option('--json', 'print the plan as one JSON document on stdout (docs/plan.schema.json); progress goes to stderr');
  return command.action(async (envName: string, opts: Options, self: Command) => (name === 'plan' ? plan(envName, opts, self) : apply(envName, opts, self)));
}

const stdout: Console = { isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) };
const stderr: Console = { isTTY: false, write: (text) => process.stderr.write(text) };

async function apply(envName: string, opts: Options, self: Command): Promise<void> {
  const env = loadEnvironmentByName(envName, environmentsDir(self));
  printWarnings(env);
  const result = await provision({
    env,
    dryRun: false,
    verifyTimeoutMs: Number(opts.verifyTimeout) * 1000,
    lockTimeoutSeconds: Number(opts.lockTimeout ?? '0'),
    allowEndOfLife: opts.allowEndOfLife === true,
    console: stdout,
  });
  process.stdout.write(`logs: ${result.logDir}\n`);
}

/**
 * Exits 0 when there is nothing to do, 2 when apply would change something,
 * 1 for any error (a refusal included), so that a pipeline can gate on it.
 */
async function plan(envName: string, opts: Options, self: Command): Promise<void> {
  const json = opts.json === true;
  let warnings: readonly ConfigIssue[] = [];
  try {
    const env = loadEnvironmentByName(envName, environmentsDir(self));
    warnings = env.warnings;
    printWarnings(env);
    const result = await provision({
      env,
      dryRun: true,
      verifyTimeoutMs: Number(opts.verifyTimeout) * 1000,
      allowEndOfLife: opts.allowEndOfLife === true,
      console: json ? stderr : stdout,
    });
    (json ? process.stderr : process.stdout).write(`logs: ${result.logDir}\n`);
    if (json) process.stdout.write(`${JSON.stringify(result.document, null, 2)}\n`);
    process.exitCode = result.document.changesPending ? PLAN_CHANGES_PENDING : PLAN_NO_CHANGES;
  } catch (err) {
    const outcome = outcomeOf(err);
    process.stderr.write(outcome.text);
    if (json) {
      const message = err instanceof ConfigError ? outcome.text.trimEnd() : outcome.text.replace(/^herd: /, '').trimEnd();
      process.stdout.write(`${JSON.stringify(planErrorDocument(envName, outcome.kind, message, outcome.issues, warnings), null, 2)}\n`);
    }
    process.exitCode = EXIT_FAILED;
  }
}

export const applyCommand = (): Command =>
  provisionCommand('apply', 'bring every node of an environment to the desired state over SSH: only the steps its plan lists run');
export const planCommand = (): Command =>
  provisionCommand('plan', 'connect, read what every node has, and print per host the steps `herd apply` would take; changes nothing; exits 0 with nothing to do, 2 with changes pending, 1 on any error');
