import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { provision } from '../../provisioner/provision.ts';
import { environmentsDir } from '../environments.ts';

function provisionCommand(name: 'apply' | 'plan', description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<env>', 'environment name')
    .option('--verify-timeout <seconds>', 'how long verify waits for nodes to be Ready and BGP sessions Established', '300')
    .action(async (envName: string, opts: { verifyTimeout: string }, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      const result = await provision({
        env,
        dryRun: name === 'plan',
        verifyTimeoutMs: Number(opts.verifyTimeout) * 1000,
        console: { isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) },
      });
      process.stdout.write(`logs: ${result.logDir}\n`);
    });
}

export const applyCommand = (): Command =>
  provisionCommand('apply', 'bring every node of an environment to the desired state over SSH: only the steps its plan lists run');
export const planCommand = (): Command =>
  provisionCommand('plan', 'connect, read what every node has, and print per host the steps `herd apply` would take; changes nothing');
