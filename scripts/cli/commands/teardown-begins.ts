import { Command } from 'commander';
import { recordTeardown } from '../../provisioner/teardown.ts';
import { parsePid } from './node-remove.ts';

// Run by the stack's terraform_data.teardown when `cdktf destroy` removes it,
// before any node's removal hook (stacks/constructs/teardown-signal.ts).
export function teardownBeginsCommand(): Command {
  return new Command('teardown-begins')
    .description('(run by `cdktf destroy`) tell the node removal hooks of this Terraform run that the whole environment goes: they reset their nodes without draining them or guarding etcd')
    .argument('<env>', 'environment name')
    .requiredOption('--terraform-pid <pid>', 'the Terraform process that destroys the environment', parsePid)
    .action((envName: string, opts: { terraformPid: number }) => {
      recordTeardown(envName, opts.terraformPid);
      process.stdout.write(`${envName}: the whole environment goes; its nodes are reset, not drained\n`);
    });
}
