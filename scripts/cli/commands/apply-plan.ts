import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { provision } from '../../provisioner/provision.ts';
import { environmentsDir } from '../environments.ts';
import { printWarnings } from '../warnings.ts';

function provisionCommand(name: 'apply' | 'plan', description: string): Command {
  const command = new Command(name)
    .description(description)
    .argument('<env>', 'environment name')
    .option('--verify-timeout <seconds>', 'how long verify waits for nodes to be Ready and BGP sessions Established', '300')
    .option('--allow-end-of-life', 'build a new cluster on a Kubernetes minor past its end of life, to rehearse upgrading a cluster that runs one')
    .option('--only-changed', 'reach only the control planes and the nodes whose desired state changed since the last successful apply, and trust the others as it left them (what cdktf deploy runs; a plain apply checks every host)')
    .option('--stats', "print how many round trips each host's connection took, per phase (always in the log directory's round-trips.txt)");
  // Only apply locks the environment: a plan reads and may run beside an apply.
  if (name === 'apply') command.option('--lock-timeout <seconds>', 'wait this long for another herd apply on the environment to finish, instead of failing at once', '0');
  return command.action(async (envName: string, opts: { verifyTimeout: string; lockTimeout?: string; allowEndOfLife?: boolean; stats?: boolean; onlyChanged?: boolean }, self: Command) => {
    const env = loadEnvironmentByName(envName, environmentsDir(self));
    printWarnings(env);
    const result = await provision({
      env,
      dryRun: name === 'plan',
      verifyTimeoutMs: Number(opts.verifyTimeout) * 1000,
      lockTimeoutSeconds: Number(opts.lockTimeout ?? '0'),
      allowEndOfLife: opts.allowEndOfLife === true,
      stats: opts.stats === true,
      onlyChanged: opts.onlyChanged === true,
      console: { isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) },
    });
    process.stdout.write(`logs: ${result.logDir}\n`);
  });
}

export const applyCommand = (): Command =>
  provisionCommand('apply', 'bring every node of an environment to the desired state over SSH: only the steps its plan lists run');
export const planCommand = (): Command =>
  provisionCommand('plan', 'connect, read what every node has, and print per host the steps `herd apply` would take; changes nothing');
