import { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { allArtifacts, renderCluster, type RenderedCluster } from '../../../templates/render.ts';
import { environmentsDir } from '../environments.ts';

/** Writes every artifact under `dir`, replacing what an earlier render left there (and only that). */
export function writeRendered(rendered: RenderedCluster, dir: string): number {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'cluster'))) {
    throw new Error(`${dir} is not empty and holds no earlier render (no cluster/ folder); choose another --out`);
  }
  rmSync(dir, { recursive: true, force: true });
  const artifacts = allArtifacts(rendered);
  for (const artifact of artifacts) {
    const file = join(dir, artifact.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, artifact.content, { mode: artifact.mode });
  }
  return artifacts.length;
}

export function renderCommand(): Command {
  return new Command('render')
    .description(
      'render every file the nodes and the cluster receive (scripts, kubeadm, containerd, kube-vip, Calico) and the routers’ BGP configs, ' +
        'one folder per node plus cluster/, for review; nothing is contacted',
    )
    .argument('<env>', 'environment name')
    .option('--out <dir>', 'folder to write into; an earlier render there is replaced', undefined)
    .action((name: string, opts: { out?: string }, command: Command) => {
      const cluster = computeCluster(loadEnvironmentByName(name, environmentsDir(command)));
      const dir = resolve(opts.out ?? join('.herd', name, 'rendered'));
      const rendered = renderCluster(cluster);
      const count = writeRendered(rendered, dir);
      process.stdout.write(`${name}: wrote ${count} files for ${rendered.nodes.length} nodes and ${rendered.peers.length} BGP peers to ${dir}\n`);
    });
}
