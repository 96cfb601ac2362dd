import type { EnvironmentSpec } from './schema.ts';

/** Control plane anti-affinity is on by default when there is more than one; the YAML can say otherwise. */
export function controlPlaneAntiAffinity(spec: EnvironmentSpec): boolean {
  return spec.controlPlane.antiAffinity ?? spec.controlPlane.count > 1;
}
