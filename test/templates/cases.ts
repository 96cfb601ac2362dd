import { resolve } from 'node:path';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { CONTROL_PLANE_BLOCK, computeCluster, nodeName, type Cluster } from '../../stacks/topology/topology.ts';
import { renderCluster, type RenderedCluster } from '../../templates/render.ts';

export const FIXTURES_DIR = resolve(import.meta.dirname, 'fixtures');
export const GOLDEN_DIR = resolve(import.meta.dirname, 'golden');

/** The example environments and the focused fixtures: every case the golden files cover. */
export const EXAMPLE_CASES = ['lab', 'dev', 'prod'] as const;
export const FOCUSED_CASES = ['ipvs', 'kube-vip', 'route-reflectors', 'rack-asns', 'no-peers', 'kubernetes-1-35', 'kubernetes-1-37'] as const;
export const ALL_CASES: readonly string[] = [...EXAMPLE_CASES, ...FOCUSED_CASES];

export function clusterOf(name: string): Cluster {
  return computeCluster(environmentOf(name));
}

/**
 * The case with every pool at the most nodes it can hold (poolSize on vSphere, the spare hosts
 * with static hosts) and 5 control planes where there is room: what a capacity change can reach.
 */
export function atCapacity(name: string): Cluster {
  const { spec, ...env } = environmentOf(name);
  const hosts = spec.infrastructure.type === 'static' ? new Set(spec.infrastructure.hosts.map((h) => h.name)) : null;
  const fits = (pool: string, count: number) => hosts === null || Array.from({ length: count }, (_, i) => nodeName(name, pool, i + 1)).every((n) => hosts.has(n));
  const capacity = (pool: string, most: number) => Array.from({ length: most }, (_, i) => most - i).find((n) => fits(pool, n)) ?? 0;
  const controlPlaneCount = ([5, 3, 1] as const).find((n) => n <= CONTROL_PLANE_BLOCK && fits('cp', n)) ?? spec.controlPlane.count;
  const poolSize = spec.network.allocation?.poolSize ?? 0;
  return computeCluster({
    ...env,
    spec: {
      ...spec,
      controlPlane: { ...spec.controlPlane, count: controlPlaneCount },
      workerPools: spec.workerPools.map((p) => ({ ...p, count: hosts === null ? poolSize : capacity(p.name, hosts.size) })),
    },
  });
}

function environmentOf(name: string) {
  const examples: readonly string[] = EXAMPLE_CASES;
  return examples.includes(name) ? loadEnvironmentByName(name) : loadEnvironmentByName(name, FIXTURES_DIR);
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
