import { SCRIPTS, type Artifact, type RenderedCluster } from '../../templates/render.ts';
import { createHash } from 'node:crypto';
import type { NodeFile } from './remote-host.ts';

function isCalico(a: Artifact): boolean {
  return a.path.startsWith('cluster/calico/') || a.path === `cluster/${SCRIPTS.applyCalico}`;
}

/** A cluster-wide script, which the provisioner places where it runs. */
export function clusterScript(rendered: RenderedCluster, script: string): Artifact {
  const artifact = rendered.cluster.artifacts.find((a) => a.path === `cluster/${script}`);
  if (artifact === undefined) throw new Error(`nothing rendered for ${script}`);
  return artifact;
}

/** What a node receives when it is prepared: its own files. */
export function preparedFiles(rendered: RenderedCluster, name: string): Artifact[] {
  const node = rendered.nodes.find((n) => n.name === name);
  if (node === undefined) throw new Error(`nothing rendered for ${name}`);
  return [...node.artifacts];
}

const NODE_FILE = /^cluster\/calico\/nodes\/(.+)\.yaml$/;

/** Cluster-wide Calico resources and the script that applies them, placed on the control plane that applies them. */
export function calicoClusterFiles(rendered: RenderedCluster): Artifact[] {
  return rendered.cluster.artifacts.filter((a) => isCalico(a) && !NODE_FILE.test(a.path));
}

/** Each node's own Calico objects (labels, annotations, status report), by node name. */
export function calicoNodeFiles(rendered: RenderedCluster): Map<string, Artifact> {
  return new Map(rendered.cluster.artifacts.flatMap((a) => {
    const node = NODE_FILE.exec(a.path)?.[1];
    return node === undefined ? [] : [[node, a] as const];
  }));
}

export function toNodeFiles(artifacts: readonly Artifact[]): NodeFile[] {
  return artifacts.flatMap((a) => (a.destination === null ? [] : [{ dest: a.destination, content: a.content, mode: a.mode }]));
}

function contentHash(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${p.length}:${p}`);
  return hash.digest('hex');
}

/** Identifies a set of files: when it changes, the step that applies them runs again. */
export function artifactsHash(artifacts: readonly Artifact[], extra: readonly string[] = []): string {
  return contentHash([...artifacts.flatMap((a) => [a.destination ?? '', a.mode.toString(8), a.content]), ...extra]);
}
