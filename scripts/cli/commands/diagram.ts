import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { networkModel } from '../../diagram/model.ts';
import { DEFAULT_GROUP_ABOVE, toDot } from '../../diagram/dot.ts';
import { environmentsDir } from '../environments.ts';

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

export function diagramCommand(): Command {
  return new Command('diagram')
    .description(
      "draw the environment's network as it computes: racks, nodes with addresses and AS numbers, route reflectors, routers and load balancers, " +
        'every BGP session (iBGP or eBGP, password or not), what each router receives, the API endpoint',
    )
    .argument('<env>', 'environment name')
    .addOption(new Option('--format <format>', 'svg, or dot (Graphviz source, for docs and review)').choices(['svg', 'dot']).default('svg'))
    .option('--out <file>', 'write to this file instead of standard output')
    .option('--group-above <n>', 'draw a pool with more nodes than this in one rack as one box with its address range', count, DEFAULT_GROUP_ABOVE)
    .action(async (name: string, opts: { format: 'svg' | 'dot'; out?: string; groupAbove: number }, command: Command) => {
      const dot = toDot(networkModel(computeCluster(loadEnvironmentByName(name, environmentsDir(command)))), { groupAbove: opts.groupAbove });
      // Graphviz (WebAssembly) is loaded for an SVG only.
      const text = opts.format === 'dot' ? dot : await (await import('../../diagram/svg.ts')).dotToSvg(dot);
      if (opts.out === undefined) process.stdout.write(text);
      else writeFileSync(opts.out, text);
    });
}
