import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { describeLocks } from '../../provisioner/locks/lock-report.ts';
import { environmentsDir } from '../environments.ts';

export function locksCommand(): Command {
  return new Command('locks')
    .description("who holds the environment's locks now: Terraform's state lock (named even where the backend records no holder, as with pg) and herd's own")
    .argument('<env>', 'environment name')
    .action(async (envName: string, _opts: unknown, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      for (const line of await describeLocks(env)) process.stdout.write(`${env.name}: ${line}\n`);
    });
}
