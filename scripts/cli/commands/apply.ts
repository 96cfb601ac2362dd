import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { environmentsDir } from '../environments.ts';
import { formatTable } from '../table.ts';

// Placeholder until the provisioner lands: `cdktf deploy` already calls this
// command, so the stack's wiring is real; what it does is not yet.
export function applyCommand(): Command {
  return new Command('apply')
    .description('provision an environment over SSH (cdktf deploy runs this after the machines exist); for now prints the nodes it would provision')
    .argument('<env>', 'environment name')
    .action((name: string, _opts, command: Command) => {
      const cluster = computeCluster(loadEnvironmentByName(name, environmentsDir(command)));
      process.stdout.write(
        `herd apply ${name}: ${cluster.nodes.length} nodes, API endpoint https://${cluster.apiEndpoint.host}:${cluster.apiEndpoint.port}\n` +
          formatTable(
            ['NAME', 'ROLE', 'POOL', 'ADDRESS'],
            cluster.nodes.map((n) => [n.name, n.role, n.pool, n.address]),
          ) +
          'The provisioner is not built yet: nothing was installed or changed on these nodes.\n',
      );
    });
}
