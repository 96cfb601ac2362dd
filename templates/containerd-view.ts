import type { Cluster } from '../stacks/topology/topology.ts';
import { containerdConfigFormat } from '../stacks/versions/table.ts';

/** Registry hosts whose API is not at https://<host> (Docker Hub's is registry-1.docker.io). */
const UPSTREAM_SERVER: Readonly<Record<string, string>> = { 'docker.io': 'https://registry-1.docker.io' };

export function containerdView(cluster: Cluster) {
  const c = cluster.spec.containerd;
  const mirrors = Object.keys(c.registryMirrors)
    .sort()
    .map((host) => ({
      host,
      server: UPSTREAM_SERVER[host] ?? `https://${host}`,
      // A mirror URL with a path (a Harbor or Artifactory proxy project) is the registry API root
      // itself; containerd must not append /v2 to it.
      endpoints: (c.registryMirrors[host] ?? []).map((url) => ({ url, overridePath: new URL(url).pathname.replace(/\/+$/, '') !== '' })),
    }));
  return {
    packageName: c.packageName,
    version: c.version,
    // The package revision differs between distributions (1.7.28-1~debian.12~bookworm), so the
    // upstream version is pinned and the revision left to the repository.
    packagePattern: `${c.version}-*`,
    repository: c.packageRepository.replace(/\/+$/, ''),
    configVersion: containerdConfigFormat(c.version).writes,
    mirrors,
  };
}
