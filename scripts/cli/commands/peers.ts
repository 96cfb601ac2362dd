import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError } from '../../../stacks/environment/errors.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { renderCluster } from '../../../templates/render.ts';
import { environmentsDir } from '../environments.ts';

export function peersCommand(): Command {
  return new Command('peers')
    .description(
      'print the FRR configuration (frr.conf) each external BGP peer needs to peer back with the cluster: neighbors, remote AS, ' +
        'password by environment-variable reference, expected prefixes',
    )
    .argument('<env>', 'environment name')
    .option('--peer <name>', 'print only this peer (a calico.bgp.peers[].name)')
    .action((name: string, opts: { peer?: string }, command: Command) => {
      const environment = loadEnvironmentByName(name, environmentsDir(command));
      const peers = renderCluster(computeCluster(environment)).peers;
      const chosen = opts.peer === undefined ? peers : peers.filter((p) => p.name === opts.peer);
      if (opts.peer !== undefined && chosen.length === 0) {
        const known = peers.map((p) => p.name).join(', ') || 'none';
        throw new ConfigError([{ file: environment.file, path: 'calico.bgp.peers', message: `no peer named "${opts.peer}"; peers: ${known}` }]);
      }
      if (peers.length === 0) {
        process.stderr.write(`${name}: no external BGP peers (calico.bgp.peers is empty)\n`);
        return;
      }
      process.stdout.write(chosen.map((p) => p.frrConf.content).join('\n'));
    });
}
