import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Cluster } from '../../../stacks/topology/topology.ts';
import { desiredStateHash } from '../../../stacks/desired-state.ts';
import { PROJECT_DIR } from '../../../stacks/project.ts';
import { RefusedError } from '../refused.ts';

/** The synthesized stack of an environment, where `cdktf deploy` runs Terraform. */
export const stackDirOf = (env: string, projectDir: string = PROJECT_DIR): string => join(projectDir, 'cdktf.out', 'stacks', env);

type Blocks = Record<string, Record<string, { readonly '//'?: { readonly metadata?: { readonly path?: string } }; readonly triggers_replace?: { readonly desiredState?: string } }>>;

/**
 * What the roll reads from the synthesized stack: each node's machine, by
 * the construct path that made it (`<env>/<node>/machine`), so that the
 * address Terraform replaces is the one the stack really has. It must be
 * the stack of the environment as the file says now: a stack synthesized
 * before the file changed would rebuild machines from the old settings.
 */
export class SynthesizedStack {
  private constructor(
    readonly dir: string,
    private readonly resources: Blocks,
  ) {}

  static read(cluster: Cluster, dir: string): SynthesizedStack {
    const file = join(dir, 'cdk.tf.json');
    let json: { resource?: Blocks };
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as { resource?: Blocks };
    } catch (err) {
      throw new RefusedError(`cannot read the synthesized stack ${relative(process.cwd(), file) || file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run \`cdktf deploy ${cluster.name}\` first, which synthesizes it`);
    }
    const stack = new SynthesizedStack(dir, json.resource ?? {});
    const synthesized = stack.resources['terraform_data']?.['reconcile']?.triggers_replace?.desiredState;
    if (synthesized !== desiredStateHash(cluster)) {
      throw new RefusedError(
        `the synthesized stack in ${relative(process.cwd(), dir) || dir} is not the environment as its file says now: run \`cdktf deploy ${cluster.name}\` first. ` +
          'It synthesizes the stack, checks the new settings (preflight) and gives new nodes the new machine; then herd roll replaces the others.',
      );
    }
    return stack;
  }

  /** The Terraform address of the node's machine, e.g. vsphere_virtual_machine.node_prod-cp-1. */
  machineAddress(env: string, node: string): string {
    const path = `${env}/${node}/machine`;
    for (const [type, byName] of Object.entries(this.resources)) {
      for (const [name, block] of Object.entries(byName)) if (block['//']?.metadata?.path === path) return `${type}.${name}`;
    }
    throw new RefusedError(`the synthesized stack has no machine for ${node} (no resource made by ${path}): run \`cdktf deploy ${env}\` first`);
  }
}
