import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../stacks/cdk.ts';
import { EnvironmentStack } from '../../stacks/environment-stack.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';
import type { EnvironmentSpec } from '../../stacks/environment/schema.ts';
import { computeCluster, type Cluster } from '../../stacks/topology/topology.ts';

// Test helpers: synthesize one environment exactly as `cdktf synth` writes it,
// and flatten the JSON into Terraform addresses for comparisons.

export type Json = Record<string, unknown>;

/** The cdk.tf.json text cdktf writes for this cluster. */
export function synthText(cluster: Cluster): string {
  const outdir = mkdtempSync(join(tmpdir(), 'herd-synth-'));
  try {
    const app = new App({ skipValidation: true, outdir });
    new EnvironmentStack(app, cluster.name, { cluster });
    app.synth();
    return readFileSync(join(outdir, 'stacks', cluster.name, 'cdk.tf.json'), 'utf8');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function synthJson(cluster: Cluster): Json {
  return JSON.parse(synthText(cluster)) as Json;
}

/** An example environment with its spec changed by `edit` (on a copy). */
export function exampleCluster(name: string, edit?: (spec: EnvironmentSpec) => void): Cluster {
  const env = loadEnvironmentByName(name);
  const spec = structuredClone(env.spec);
  edit?.(spec);
  return computeCluster({ ...env, spec });
}

/**
 * Every resource and data source instance by its Terraform address, e.g.
 * `vsphere_virtual_machine.node_dev-cp-1` or `terraform_data.node_removal["lab-cp-1"]`.
 * A for_each instance is its block with `each.value` filled in, which is what Terraform plans.
 */
export function instances(json: Json): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const add = (prefix: string, blocks: unknown): void => {
    for (const [type, byName] of Object.entries((blocks ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [name, block] of Object.entries(byName)) {
        const { for_each: forEach, '//': _metadata, ...body } = block;
        if (forEach === undefined) {
          out.set(`${prefix}${type}.${name}`, body);
          continue;
        }
        for (const [key, value] of Object.entries(forEach as Json)) {
          out.set(`${prefix}${type}.${name}["${key}"]`, { ...body, each: value });
        }
      }
    }
  };
  add('', json['resource']);
  add('data.', json['data']);
  return out;
}

export interface InstanceDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

export function diffInstances(before: Json, after: Json): InstanceDiff {
  const a = instances(before);
  const b = instances(after);
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: [...b.keys()].filter((k) => a.has(k) && JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))).sort(),
  };
}

/** The attributes of one instance that differ between two syntheses. */
export function changedAttributes(before: Json, after: Json, address: string): string[] {
  const a = (instances(before).get(address) ?? {}) as Json;
  const b = (instances(after).get(address) ?? {}) as Json;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export function resource(json: Json, type: string, name: string): Json {
  const block = ((json['resource'] as Record<string, Record<string, Json>>)[type] ?? {})[name];
  if (block === undefined) throw new Error(`no resource ${type}.${name}`);
  return block;
}

export function decodeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}
