import { Command, InvalidArgumentError, Option } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import type { RollOptions } from '../../provisioner/roll/roll.ts';
import { environmentsDir } from '../environments.ts';
import { printWarnings } from '../warnings.ts';

const DEFAULT_REIMAGE_SECONDS = 1800;
const DEFAULT_READY_SECONDS = 300;

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a whole number of seconds, at least 1');
  return n;
}

function waitSeconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number of seconds');
  return Number(value);
}

/** The options `herd roll` and `herd node replace` share: how a machine is replaced, how long each step may take. */
export function withReplaceOptions(command: Command): Command {
  return command
    .option('--dry-run', 'print the plan (which nodes, in which order, the commands that replace each machine) and change nothing')
    .option(
      '--reimage-command <command>',
      'static hosts: run this (sh -c) for each node once it is out of the cluster, to re-image its host under the same name and address; HERD_ENV, HERD_NODE, HERD_NODE_ADDRESS, HERD_NODE_ROLE and HERD_NODE_POOL say which. Without it, herd asks the operator and waits for the host to answer with a new host key',
    )
    .option('--reimage-timeout <seconds>', 'how long re-imaging one host may take, until it answers over SSH', seconds, DEFAULT_REIMAGE_SECONDS)
    .option('--ready-timeout <seconds>', 'how long a node that joined again may take to be Ready (and etcd whole, for a control plane) before the roll stops', seconds, DEFAULT_READY_SECONDS)
    .option('--lock-timeout <seconds>', 'wait this long for another herd run on the environment to finish, instead of failing at once', waitSeconds, 0);
}

interface ReplaceFlags {
  dryRun?: boolean;
  reimageCommand?: string;
  reimageTimeout: number;
  readyTimeout: number;
  lockTimeout: number;
}

/** The options of a roll from the command line, for one environment. */
export function rollOptions(envName: string, command: Command, flags: ReplaceFlags, rest: Pick<RollOptions, 'operation' | 'scope' | 'all'>): RollOptions {
  const env = loadEnvironmentByName(envName, environmentsDir(command));
  printWarnings(env);
  return {
    env,
    ...rest,
    dryRun: flags.dryRun === true,
    reimage: { ...(flags.reimageCommand === undefined ? {} : { command: flags.reimageCommand }), timeoutSeconds: flags.reimageTimeout },
    readyTimeoutSeconds: flags.readyTimeout,
    lockTimeoutSeconds: flags.lockTimeout,
    console: { isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) },
  };
}

export function rollCommand(): Command {
  const command = new Command('roll')
    .description(
      'replace nodes with new machines one batch at a time: control planes first, one by one (etcd whole before each leaves and after each returns), then each pool in batches of upgrade.workerBatchSize. ' +
        'Each node is drained, removed from the cluster, reset, given a new machine (vSphere: terraform apply -replace; static: re-imaged), joined, and Ready before the next batch leaves. ' +
        'A stopped roll resumes where it stopped when run again',
    )
    .argument('<env>', 'environment name')
    .addOption(new Option('--pool <name>', 'only this pool (cp: the control planes); repeat for several').argParser((v: string, prev: string[] = []) => [...prev, v]))
    .option('--all', 'vSphere: every node in scope, not only those whose VM was built otherwise than the file says now')
    .option(
      '--surge',
      "vSphere: before a pool's first node leaves, add as many temporary workers as one batch takes away (at the top of the pool's address block), and remove them once the pool is rolled, so that the pool never serves with fewer nodes than its count",
    );
  return withReplaceOptions(command).action(async (envName: string, flags: ReplaceFlags & { pool?: string[]; all?: boolean; surge?: boolean }, self: Command) => {
    // Loaded here: a roll synthesizes the stack, and the CDK library is for the commands that do (bin/compiled.mjs).
    const { roll } = await import('../../provisioner/roll/roll.ts');
    await roll({ ...rollOptions(envName, self, flags, { operation: 'roll', scope: { pools: flags.pool ?? [], nodes: [] }, all: flags.all === true }), surge: flags.surge === true });
  });
}
