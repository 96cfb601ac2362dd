import { Command, InvalidArgumentError } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { isValidIpv4 } from '../../../stacks/environment/net.ts';
import { removeNode } from '../../provisioner/remove-node.ts';
import { isTeardown } from '../../provisioner/teardown.ts';
import { acquireEnvironmentLock } from '../../provisioner/locks/environment-lock.ts';
import { environmentsDir } from '../environments.ts';

const DEFAULT_TIMEOUT_SECONDS = 300;
const DEFAULT_DRAIN_SECONDS = 120;
const DEFAULT_WAIT_SECONDS = 3600;

// Terraform runs this from each node's destroy-time hook, also for nodes a
// lowered count removed, which are no longer in the environment file: so the
// node is not looked up there. Exit codes, which decide whether Terraform
// destroys the machine: 0 removed (warnings included: an unreachable node or
// cluster, the time running out); 2 refused, nothing touched; 1 failed while
// acting (a drain that did not finish).
export function nodeRemoveCommand(): Command {
  return new Command('remove')
    .description('take a node out of the cluster before its machine goes: drain it, remove its etcd member (control planes), delete its Node, kubeadm reset it, forget its host key (cdktf destroy and scale-down run this); refuses a removal that would cost etcd its quorum')
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-7')
    .requiredOption('--address <ip>', "the node's address", parseAddress)
    .option('--drain-timeout <seconds>', 'how long draining may take (evictions respect PodDisruptionBudgets); a drain that does not finish fails the removal', parseSeconds, DEFAULT_DRAIN_SECONDS)
    .option('--timeout <seconds>', 'once it is this node’s turn, give up after this long with a warning, so that an unreachable node cannot block a destroy', parseSeconds, DEFAULT_TIMEOUT_SECONDS)
    .option('--wait <seconds>', 'how long to wait for the turn: one removal, apply or reset runs per environment at a time', parseSeconds, DEFAULT_WAIT_SECONDS)
    .option('--terraform-pid <pid>', 'the Terraform process running this hook; with `herd teardown-begins` it tells a destroy of the whole environment from a lowered count', parsePid)
    .action(async (envName: string, node: string, opts: { address: string; timeout: number; drainTimeout: number; wait: number; terraformPid?: number }, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      const teardown = isTeardown(env.name, opts.terraformPid);
      const say = (text: string): boolean => process.stdout.write(text);
      // A teardown changes no membership: its resets run side by side. Anything else waits its turn.
      const lock = teardown
        ? undefined
        : await acquireEnvironmentLock(env, {
            operation: 'node remove',
            timeoutSeconds: opts.wait,
            warn: (message) => say(`WARNING: ${message}\n`),
            onWait: (held) => say(`[${node}] waiting for its turn: ${held.holder} holds the lock\n`),
            onShared: (holder) => say(`[${node}] herd ${holder.operation} (pid ${holder.pid}) holds the lock and runs this removal as one of its steps\n`),
          });
      const deadline = setTimeout(() => {
        void lock?.release();
        process.stderr.write(`herd node remove: WARNING: ${node} (${opts.address}) did not finish within ${opts.timeout}s; it may still be in the cluster. Continuing.\n`);
        process.exit(0);
      }, opts.timeout * 1000);
      try {
        await removeNode({ env, node, address: opts.address, drainTimeoutSeconds: opts.drainTimeout, teardown, console: { isTTY: false, write: say } });
      } finally {
        clearTimeout(deadline);
        await lock?.release();
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

export function parsePid(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a process id');
  return n;
}
