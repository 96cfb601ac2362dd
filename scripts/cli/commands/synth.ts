import { Command } from 'commander';
import { join, relative } from 'node:path';
import { SYNTH_DIR, synthesize } from '../../deploy/deploy.ts';
import { environmentsDir } from '../environments.ts';

export function synthCommand(): Command {
  return new Command('synth')
    .description('write the Terraform JSON of environments to cdktf.out/stacks/<env>/cdk.tf.json, as `cdktf synth` does, without a CDK CLI: plain `terraform` can then plan and apply it there')
    .argument('[env...]', 'environment names; every environment when left out')
    .action((names: string[], _opts, command: Command) => {
      const stacks = synthesize(names.length > 0 ? names : undefined, environmentsDir(command));
      for (const stack of stacks) process.stdout.write(`${relative(process.cwd(), join(SYNTH_DIR, 'stacks', stack, 'cdk.tf.json'))}\n`);
    });
}
