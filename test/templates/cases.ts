import { resolve } from 'node:path';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { computeCluster, type Cluster } from '../../stacks/topology/topology.ts';
import { renderCluster, type RenderedCluster } from '../../templates/render.ts';

export const FIXTURES_DIR = resolve(import.meta.dirname, 'fixtures');
export const GOLDEN_DIR = resolve(import.meta.dirname, 'golden');

/** The example environments and the focused fixtures: every case the golden files cover. */
export const EXAMPLE_CASES = ['lab', 'dev', 'prod'] as const;
export const FOCUSED_CASES = ['ipvs', 'kube-vip', 'route-reflectors', 'rack-asns', 'no-peers', 'kubernetes-1-35', 'kubernetes-1-37'] as const;
export const ALL_CASES: readonly string[] = [...EXAMPLE_CASES, ...FOCUSED_CASES];

export function clusterOf(name: string): Cluster {
  const examples: readonly string[] = EXAMPLE_CASES;
  return computeCluster(examples.includes(name) ? loadEnvironmentByName(name) : loadEnvironmentByName(name, FIXTURES_DIR));
}

const cache = new Map<string, RenderedCluster>();

export function renderedCase(name: string): RenderedCluster {
  let rendered = cache.get(name);
  if (rendered === undefined) {
    rendered = renderCluster(clusterOf(name));
    cache.set(name, rendered);
  }
  return rendered;
}
