import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError } from '../../../stacks/environment/errors.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { forget, knownHostsPath } from '../../ssh/known-hosts.ts';
import { environmentsDir } from '../environments.ts';

export function forgetHostCommand(): Command {
  return new Command('forget-host')
    .description("drop a node's recorded host key, after its machine was replaced on purpose, so the next run records the new key")
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-3')
    .action(async (envName: string, nodeName: string, _opts, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      const node = computeCluster(env).nodes.find((n) => n.name === nodeName);
      if (node === undefined) {
        throw new ConfigError([{ file: env.file, path: '', message: `no node is named ${nodeName}; \`herd nodes ${envName}\` lists them` }]);
      }
      const file = knownHostsPath(env);
      const removed = await forget(file, [node.address], env.spec.ssh.port);
      process.stdout.write(`${nodeName}: ${removed === 0 ? 'no entry' : `${removed} entr${removed === 1 ? 'y' : 'ies'} removed`} in ${file}\n`);
    });
}
