import { Command, Option } from 'commander';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../../stacks/environment/load.ts';
import { RefusedError } from '../../provisioner/refused.ts';
import { CDK_CLIS } from '../../deploy/cdk-cli.ts';
import type { DeployRunner } from '../../deploy/deploy.ts';
import { environmentsDir } from '../environments.ts';

export function deployCommand(): Command {
  const clis = Object.entries(CDK_CLIS).map(([name, cli]) => `${name} (${cli.package}, Node.js ${cli.minNode.join('.')}+, ${cli.note})`);
  return new Command('deploy')
    .description(
      'synthesize the environment and apply its stack with Terraform (create or change the machines, then provision them), offline and quietly, as `cdktf deploy <env>` does; ' +
        'fails when Terraform stopped part-way, also where a CDK CLI would say it succeeded',
    )
    .argument('<env>', 'environment name')
    .option('--auto-approve', 'apply without asking (terraform apply -auto-approve)')
    .addOption(
      new Option('--cli <name>', `what runs Terraform on the synthesized stack: terraform (the default: Terraform itself, in cdktf.out/stacks/<env>), or a CDK CLI: ${clis.join('; ')}`).choices([
        'terraform',
        ...Object.keys(CDK_CLIS),
      ]),
    )
    .action(async (name: string, opts: { autoApprove?: boolean; cli?: DeployRunner }, command: Command) => {
      // The reconcile step runs `herd apply <env>` on the default folder: a deploy from another would provision something else.
      if (environmentsDir(command) !== DEFAULT_ENVIRONMENTS_DIR) throw new RefusedError(`herd deploy works on ${DEFAULT_ENVIRONMENTS_DIR} only, where the stack's provisioner reads the environment`);
      const { deploy } = await import('../../deploy/deploy.ts');
      process.exitCode = await deploy({ env: name, cli: opts.cli, autoApprove: opts.autoApprove === true });
    });
}
