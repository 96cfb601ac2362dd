import { Command, Option } from 'commander';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../../stacks/environment/load.ts';
import { RefusedError } from '../../provisioner/refused.ts';
import { CDK_CLIS, type CdkCliName } from '../../deploy/cdk-cli.ts';
import { deploy } from '../../deploy/deploy.ts';
import { environmentsDir } from '../environments.ts';

export function deployCommand(): Command {
  const clis = Object.entries(CDK_CLIS).map(([name, cli]) => `${name} (${cli.package}, Node.js ${cli.minNode.join('.')}+, ${cli.note})`);
  return new Command('deploy')
    .description(
      'synthesize the environment and run `cdktf deploy <env>` on it (create or change the machines, then provision them), offline and quietly; ' +
        'fails when Terraform stopped part-way although the CDK CLI said it succeeded',
    )
    .argument('<env>', 'environment name')
    .option('--auto-approve', 'apply without asking (cdktf deploy --auto-approve)')
    .addOption(new Option('--cli <name>', `the CDK CLI that runs Terraform: ${clis.join('; ')}. Default: cdktn where installed and this Node.js runs it, else cdktf`).choices(Object.keys(CDK_CLIS)))
    .action(async (name: string, opts: { autoApprove?: boolean; cli?: CdkCliName }, command: Command) => {
      // The reconcile step runs `herd apply <env>` on the default folder: a deploy from another would provision something else.
      if (environmentsDir(command) !== DEFAULT_ENVIRONMENTS_DIR) throw new RefusedError(`herd deploy works on ${DEFAULT_ENVIRONMENTS_DIR} only, where the stack's provisioner reads the environment`);
      process.exitCode = await deploy({ env: name, cli: opts.cli, autoApprove: opts.autoApprove === true });
    });
}
