import { Command, InvalidArgumentError } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { isValidIpv4 } from '../../../stacks/environment/net.ts';
import { removeNode } from '../../provisioner/remove-node.ts';
import { environmentsDir } from '../environments.ts';

const DEFAULT_TIMEOUT_SECONDS = 300;
const DEFAULT_DRAIN_SECONDS = 120;

// Terraform runs this from each node's destroy-time hook, also for nodes a
// lowered count removed, which are no longer in the environment file: so the
// node is not looked up there.
export function nodeRemoveCommand(): Command {
  return new Command('remove')
    .description('take a node out of the cluster before its machine goes: drain it, remove its etcd member (control planes), delete its Node, kubeadm reset it, forget its host key (cdktf destroy and scale-down run this)')
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-7')
    .requiredOption('--address <ip>', "the node's address", parseAddress)
    .option('--drain-timeout <seconds>', 'how long draining may take (evictions respect PodDisruptionBudgets)', parseSeconds, DEFAULT_DRAIN_SECONDS)
    .option('--timeout <seconds>', 'give up after this long with a warning, so that an unreachable node cannot block a destroy', parseSeconds, DEFAULT_TIMEOUT_SECONDS)
    .action(async (envName: string, node: string, opts: { address: string; timeout: number; drainTimeout: number }, command: Command) => {
      const deadline = setTimeout(() => {
        process.stderr.write(`herd node remove: WARNING: ${node} (${opts.address}) did not finish within ${opts.timeout}s; it may still be in the cluster. Continuing.\n`);
        process.exit(1);
      }, opts.timeout * 1000);
      try {
        const env = loadEnvironmentByName(envName, environmentsDir(command));
        await removeNode({
          env,
          node,
          address: opts.address,
          drainTimeoutSeconds: opts.drainTimeout,
          console: { isTTY: false, write: (text) => process.stdout.write(text) },
        });
      } finally {
        clearTimeout(deadline);
      }
    });
}

function parseAddress(value: string): string {
  if (!isValidIpv4(value)) throw new InvalidArgumentError('must be an IPv4 address such as 10.0.0.5');
  return value;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of seconds, at least 1');
  return n;
}
