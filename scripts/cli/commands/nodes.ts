import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster, type ClusterNode } from '../../../stacks/topology/topology.ts';
import { environmentsDir } from '../environments.ts';
import { formatTable } from '../table.ts';

export function nodesCommand(): Command {
  return new Command('nodes')
    .description('print the nodes an environment computes to: name, role, pool, rack, address, AS number')
    .argument('<env>', 'environment name')
    .option('--json', 'print JSON instead of a table')
    .action((name: string, opts: { json?: boolean }, command: Command) => {
      const cluster = computeCluster(loadEnvironmentByName(name, environmentsDir(command)));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(cluster.nodes, null, 2)}\n`);
        return;
      }
      const row = (n: ClusterNode): string[] => [
        n.name,
        n.role,
        n.pool,
        n.rack ?? '-',
        n.address,
        String(n.asNumber),
        n.routeReflector ? 'yes' : '-',
        `${n.cpu}/${n.memoryMiB}/${n.diskGiB}`,
      ];
      process.stdout.write(formatTable(['NAME', 'ROLE', 'POOL', 'RACK', 'ADDRESS', 'AS', 'RR', 'CPU/MiB/GiB'], cluster.nodes.map(row)));
    });
}
