import { createHash } from 'node:crypto';
import type { Cluster } from './topology/topology.ts';
import { allArtifacts, renderCluster } from '../templates/render.ts';

/** A file the templates render for the cluster or a node, as the provisioner will install it. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

/**
 * A digest of everything the provisioner acts on: when it changes, the
 * reconcile resource is replaced and `cdktf deploy` runs the provisioner.
 * Secrets are in the spec only by reference (an environment variable name), so
 * rotating a password's value does not change this; the operator runs
 * `herd apply` for that.
 */
export function desiredStateHash(cluster: Cluster): string {
  return hashDesiredState(cluster, allArtifacts(renderCluster(cluster)));
}

/** desiredStateHash over given rendered files; their order does not matter. */
export function hashDesiredState(cluster: Cluster, artifacts: readonly RenderedFile[]): string {
  // Where Terraform keeps its state does not reach the nodes: moving an environment to a shared backend must not re-provision it.
  const { $schema: _schema, extends: _extends, description: _description, state: _stateBackend, ...spec } = cluster.spec;
  const state = {
    name: cluster.name,
    spec,
    nodes: cluster.nodes,
    artifacts: [...artifacts].map(({ path, content }) => ({ path, content })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  const hash = createHash('sha256');
  // Streamed into the hash in pieces: a large cluster's files are tens of megabytes, never one string.
  let pending = '';
  // Every node carries the same prepare-node.sh and containerd config: escaped once, not once per node.
  const escaped = new Map<string, string>();
  writeCanonicalJson(
    state,
    (text) => {
      if (text.length < 1 << 10) {
        pending += text;
        if (pending.length < 1 << 16) return;
      } else {
        hash.update(pending);
        pending = text;
      }
      hash.update(pending);
      pending = '';
    },
    escaped,
  );
  return hash.update(pending).digest('hex');
}

/** JSON with object keys sorted, so that key order in YAML or code never changes the digest. */
export function canonicalJson(value: unknown): string {
  let text = '';
  writeCanonicalJson(value, (piece) => (text += piece));
  return text;
}

function writeCanonicalJson(value: unknown, write: (text: string) => void, escaped?: Map<string, string>): void {
  if (typeof value === 'string' && escaped !== undefined) {
    let json = escaped.get(value);
    if (json === undefined) {
      json = JSON.stringify(value);
      escaped.set(value, json);
    }
    write(json);
    return;
  }
  if (Array.isArray(value)) {
    write('[');
    value.forEach((item, i) => {
      if (i > 0) write(',');
      writeCanonicalJson(item, write, escaped);
    });
    write(']');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    write('{');
    entries.forEach(([k, v], i) => {
      write(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
      writeCanonicalJson(v, write, escaped);
    });
    write('}');
    return;
  }
  write(JSON.stringify(value) ?? 'null');
}
