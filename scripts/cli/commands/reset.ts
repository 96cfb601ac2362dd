import { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { RefusedError } from '../../provisioner/refused.ts';
import { resetEnvironment } from '../../provisioner/reset-environment.ts';
import { environmentsDir } from '../environments.ts';

export function resetCommand(): Command {
  return new Command('reset')
    .description('return every host of an environment to its prepared state: kubeadm reset, CNI state removed; packages and known_hosts stay. The cluster and everything in it is lost: type the environment name to confirm')
    .argument('<env>', 'environment name')
    .option('--yes', 'do not ask (for automation): the cluster is lost', false)
    .action(async (envName: string, opts: { yes: boolean }, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      if (!opts.yes) await confirm(env.name, computeCluster(env).nodes.map((n) => n.name));
      const { logDir } = await resetEnvironment({ env, console: { isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) } });
      process.stdout.write(`logs: ${logDir}\n`);
    });
}

/** The operator types the environment's name; anything else, or no terminal to type on, refuses. */
async function confirm(env: string, nodes: readonly string[]): Promise<void> {
  // A reset run from a script or a pipe must say --yes: an answer read from a pipe is no confirmation.
  if (process.stdin.isTTY !== true) throw new RefusedError(`herd reset ${env} asks for confirmation on a terminal, and there is none: pass --yes to reset without asking.`);
  process.stdout.write(`herd reset ${env} resets ${nodes.length} hosts (${nodes.join(', ')}): kubeadm reset and CNI state removed.\nThe cluster and everything in it is lost; packages and known_hosts stay.\n`);
  const readline = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await readline.question(`Type the environment name (${env}) to reset it: `);
    if (answer.trim() !== env) throw new RefusedError(`the answer was not "${env}".`);
  } finally {
    readline.close();
  }
}
