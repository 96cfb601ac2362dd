import { Command } from 'commander';
import { rollOptions, withReplaceOptions } from './roll.ts';

export function nodeReplaceCommand(): Command {
  const command = new Command('replace')
    .description(
      'give one node a new machine, safely: drain it (PodDisruptionBudgets respected), remove it from the cluster (and etcd, quorum checked), reset it; then Terraform replaces its VM (vSphere), or its host is re-imaged (static); ' +
        'then it joins, and is uncordoned once Ready. Run again after a stop to carry on',
    )
    .argument('<env>', 'environment name')
    .argument('<node>', 'node name, e.g. prod-general-a-3');
  return withReplaceOptions(command).action(async (envName: string, node: string, flags: Parameters<typeof rollOptions>[2], self: Command) => {
    const { roll } = await import('../../provisioner/roll/roll.ts');
    await roll(rollOptions(envName, self, flags, { operation: 'node replace', scope: { pools: [], nodes: [node] }, all: true }));
  });
}
