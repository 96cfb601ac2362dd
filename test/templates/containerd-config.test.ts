import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { renderCluster, type RenderedCluster } from '../../templates/render.ts';
import { kubernetesMinorInfo } from '../../stacks/versions/table.ts';
import { ALL_CASES, clusterOf, renderedCase } from './cases.ts';
import { CONTAINERD_V3_CONFIG, migrateV2, unknownKeys } from './containerd/v2-config-reference.ts';

// Debian's containerd is 1.6 and cannot check a version-3 config, so the config herd renders for
// containerd 2.x is checked against containerd 2.x's own source (./containerd/v2-config-reference.ts):
// every key one containerd 2.x reads, strictly, and equal to what containerd's migration makes of
// the version-2 config herd renders for containerd 1.7 for the same cluster.

const configOf = (rendered: RenderedCluster): Record<string, unknown> => {
  const artifact = rendered.nodes[0]!.artifacts.find((a) => a.path.endsWith('/containerd/config.toml'))!;
  return parse(artifact.content) as Record<string, unknown>;
};

function renderedWithContainerd(name: string, version: string): RenderedCluster {
  const cluster = clusterOf(name);
  return renderCluster({ ...cluster, spec: { ...cluster.spec, containerd: { ...cluster.spec.containerd, version } } });
}

const v3Cases = ALL_CASES.filter((name) => clusterOf(name).spec.containerd.version.startsWith('2.'));

describe.each(v3Cases)('the containerd 2.x config of %s', (name) => {
  const config = configOf(renderedCase(name));

  it('is version 3 and uses only keys containerd 2.x reads, where it reads them', () => {
    expect(config['version']).toBe(3);
    expect(unknownKeys(config, CONTAINERD_V3_CONFIG)).toEqual([]);
  });

  it("pins the pause image of the cluster's kubeadm, uses the systemd cgroup driver and the registry folder", () => {
    const spec = clusterOf(name).spec;
    const plugins = config['plugins'] as Record<string, Record<string, Record<string, unknown>>>;
    expect(plugins['io.containerd.cri.v1.images']!['pinned_images']).toEqual({ sandbox: `${spec.kubernetes.imageRepository}/pause:${kubernetesMinorInfo(spec.kubernetes.version)!.pause}` });
    expect(plugins['io.containerd.cri.v1.images']!['registry']).toEqual({ config_path: '/etc/containerd/certs.d' });
    expect(plugins['io.containerd.cri.v1.runtime']!['containerd']).toEqual({ runtimes: { runc: { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: true } } } });
  });

  it("is what containerd's migration makes of the version-2 config herd renders for containerd 1.7", () => {
    const v2 = configOf(renderedWithContainerd(name, '1.7.31'));
    expect(v2['version']).toBe(2);
    expect(migrateV2(v2)).toEqual(config);
  });
});

describe('the strict key check', () => {
  it('finds a version-2 key left in a version-3 plugin, and a misspelt option', () => {
    const stale = { version: 3, plugins: { 'io.containerd.cri.v1.images': { sandbox_image: 'registry.k8s.io/pause:3.10.1' }, 'io.containerd.cri.v1.runtime': { containerd: { runtimes: { runc: { options: { SystemdCgroups: true } } } } } } };
    expect(unknownKeys(stale, CONTAINERD_V3_CONFIG)).toEqual(['plugins.io.containerd.cri.v1.images.sandbox_image', 'plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc.options.SystemdCgroups']);
  });

  it('finds a plugin containerd 2.x does not have under that name', () => {
    expect(unknownKeys({ version: 3, plugins: { 'io.containerd.grpc.v1.cri': { sandbox_image: 'x' } } }, CONTAINERD_V3_CONFIG)).toEqual(['plugins.io.containerd.grpc.v1.cri.sandbox_image']);
  });
});
