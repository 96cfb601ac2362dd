import type { VsphereInfrastructureSpec } from '../../stacks/environment/schema.ts';

/** The vSphere provider's own variables: herd reads the same ones, so that credentials live in one place, never in a file. */
export interface VsphereCredentials {
  readonly server: string;
  readonly user: string;
  readonly password: string;
}

/** The credentials, or what is missing, named by variable. */
export function vsphereCredentials(infra: VsphereInfrastructureSpec, env: NodeJS.ProcessEnv = process.env): VsphereCredentials | { readonly missing: string[] } {
  const server = infra.server ?? env['VSPHERE_SERVER'];
  const user = env['VSPHERE_USER'];
  const password = env['VSPHERE_PASSWORD'];
  const missing = [
    ...(server === undefined || server === '' ? ['VSPHERE_SERVER (or infrastructure.server)'] : []),
    ...(user === undefined || user === '' ? ['VSPHERE_USER'] : []),
    ...(password === undefined || password === '' ? ['VSPHERE_PASSWORD'] : []),
  ];
  return missing.length > 0 ? { missing } : { server: server!, user: user!, password: password! };
}
