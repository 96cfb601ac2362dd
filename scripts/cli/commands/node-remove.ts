import { Command, InvalidArgumentError } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { isValidIpv4 } from '../../../stacks/environment/net.ts';
import { forget, knownHostsPath } from '../../ssh/known-hosts.ts';
import { environmentsDir } from '../environments.ts';

const DEFAULT_TIMEOUT_SECONDS = 300;

// The known_hosts half is final; drain, delete and reset come with day-two
// operations. Terraform runs this from each node's destroy-time
// hook, also for nodes a lowered count removed, which are no longer in the
// environment file: so the node is not looked up there.
export function nodeRemoveCommand(): Command {
  return new Command('remove')
    .description('take a node out of the cluster before its machine goes, and forget its SSH host key (cdktf destroy and scale-down run this)')
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-7')
    .requiredOption('--address <ip>', "the node's address, whose known_hosts entry is dropped", parseAddress)
    .option('--timeout <seconds>', 'give up after this long with a warning, so that an unreachable node cannot block a destroy', parseSeconds, DEFAULT_TIMEOUT_SECONDS)
    .action(async (envName: string, node: string, opts: { address: string; timeout: number }, command: Command) => {
      const deadline = setTimeout(() => {
        process.stderr.write(`herd node remove: WARNING: ${node} (${opts.address}) did not finish within ${opts.timeout}s; it may still be in the cluster. Continuing.\n`);
        process.exit(1);
      }, opts.timeout * 1000);
      try {
        const env = loadEnvironmentByName(envName, environmentsDir(command));
        const file = knownHostsPath(env);
        const dropped = await forget(file, [opts.address, node], env.spec.ssh.port);
        process.stdout.write(
          `herd node remove ${envName} ${node}: dropped ${dropped} known_hosts entr${dropped === 1 ? 'y' : 'ies'} for ${opts.address} from ${file}\n` +
            'Draining and deleting the Kubernetes node is not automated yet: drain and delete it with kubectl before its machine goes.\n',
        );
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
