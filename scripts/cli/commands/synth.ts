import { Command } from 'commander';
import { join, relative } from 'node:path';
import { environmentsDir } from '../environments.ts';

export function synthCommand(): Command {
  return new Command('synth')
    .description('write the Terraform JSON of environments to cdktf.out/stacks/<env>/cdk.tf.json, as `cdktf synth` does, without a CDK CLI: plain `terraform` can then plan and apply it there')
    .argument('[env...]', 'environment names; every environment when left out')
    .action(async (names: string[], _opts, command: Command) => {
      // Loaded here: the CDK library is for the commands that synthesize (bin/compiled.mjs).
      const { SYNTH_DIR, synthesize } = await import('../../deploy/deploy.ts');
      const stacks = synthesize(names.length > 0 ? names : undefined, environmentsDir(command));
      for (const stack of stacks) process.stdout.write(`${relative(process.cwd(), join(SYNTH_DIR, 'stacks', stack, 'cdk.tf.json'))}\n`);
    });
}
