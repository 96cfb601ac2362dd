import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { KnownHosts, knownHostsName } from '../../ssh/known-hosts.ts';
import { knownHostsFile } from '../../state-dir.ts';
import { environmentsDir } from '../environments.ts';

export function forgetHostCommand(): Command {
  return new Command('forget-host')
    .description("drop a node's recorded host key, after its machine was replaced on purpose, so the next run records the new key")
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-3')
    .action((envName: string, nodeName: string, _opts, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      const node = computeCluster(env).nodes.find((n) => n.name === nodeName);
      if (node === undefined) throw new Error(`${env.file}: no node named ${nodeName}; see \`herd nodes ${envName}\``);
      const store = new KnownHosts(knownHostsFile(env));
      const removed = store.forget(knownHostsName(node.address, env.spec.ssh.port));
      process.stdout.write(`${nodeName}: ${removed === 0 ? 'no entry' : `${removed} entr${removed === 1 ? 'y' : 'ies'} removed`} in ${store.file}\n`);
    });
}
