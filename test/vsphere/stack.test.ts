import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleCluster, instances, resource, synthJson, synthText, type Json } from '../stacks/synth.ts';
import { VSPHERE_PROVIDER_VERSION } from '../../stacks/constructs/vsphere-connection.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';

// The vSphere provider cannot be downloaded here, so what `cdktf deploy` does
// with these stacks is checked in their synthesized JSON: the preflight comes
// before every vSphere resource, its command holds no secret, and the
// provider block is explicit where the provider would otherwise read the
// operator's shell.

const VARIANTS: ReadonlyArray<readonly [string, ReturnType<typeof exampleCluster>]> = [
  ['dev', exampleCluster('dev')],
  ['prod', exampleCluster('prod')],
  ['prod with a resource pool', exampleCluster('prod', (spec) => {
    if (spec.infrastructure.type === 'vsphere') spec.infrastructure.resourcePool = 'cl-compute-01/Resources/kubernetes';
  })],
];

describe.each(VARIANTS)('the %s stack', (_label, cluster) => {
  const json = synthJson(cluster);

  it('makes every vSphere resource depend on terraform_data.preflight, so a failed preflight creates none', () => {
    const vsphere = [...instances(json)].filter(([address]) => address.startsWith('vsphere_'));
    expect(vsphere.length).toBeGreaterThan(cluster.nodes.length);
    for (const [address, block] of vsphere) expect((block as Json)['depends_on'], address).toContain('terraform_data.preflight');
  });

  it('runs `herd preflight <env>` from the project directory, with no secret and nothing else on its command line', () => {
    const preflight = resource(json, 'terraform_data', 'preflight');
    expect(preflight['provisioner']).toEqual([{ 'local-exec': { command: `node bin/herd.mjs preflight ${cluster.name}`, working_dir: '../../..' } }]);
    expect(preflight['depends_on']).toBeUndefined();
  });

  it('reads the inventory (data sources) at plan time, without waiting for the preflight', () => {
    for (const [address, block] of instances(json)) {
      if (address.startsWith('data.')) expect((block as Json)['depends_on'], address).toBeUndefined();
    }
  });
});

describe('when the preflight runs again', () => {
  const footprint = (edit?: Parameters<typeof exampleCluster>[1]): unknown => (resource(synthJson(exampleCluster('dev', edit)), 'terraform_data', 'preflight')['triggers_replace'] as Json)['footprint'];
  const base = footprint();

  it('on a change of what it checks: a count, a size, a name in vCenter, anti-affinity', () => {
    expect(footprint((s) => (s.workerPools[0]!.count += 1))).not.toBe(base);
    expect(footprint((s) => (s.workerPools[0]!.memoryMiB *= 2))).not.toBe(base);
    expect(footprint((s) => (s.workerPools[0]!.antiAffinity = true))).not.toBe(base);
    expect(footprint((s) => {
      if (s.infrastructure.type === 'vsphere') s.infrastructure.folder = 'k8s';
    })).not.toBe(base);
  });

  it('not on a change the VMs do not see (Calico, Kubernetes settings)', () => {
    expect(footprint((s) => (s.calico.bgp.asNumber = 64999))).toBe(base);
    expect(footprint((s) => (s.kubernetes.proxyMode = 'ipvs'))).toBe(base);
  });
});

describe('the provider block', () => {
  it('says allow_unverified_ssl: false explicitly, so VSPHERE_ALLOW_UNVERIFIED_SSL in the shell cannot turn verification off', () => {
    // The provider takes VSPHERE_ALLOW_UNVERIFIED_SSL only for an attribute the configuration leaves out.
    const saved = process.env['VSPHERE_ALLOW_UNVERIFIED_SSL'];
    process.env['VSPHERE_ALLOW_UNVERIFIED_SSL'] = 'true';
    try {
      for (const name of ['dev', 'prod']) {
        expect((synthJson(exampleCluster(name))['provider'] as { vsphere: Json[] }).vsphere[0]!['allow_unverified_ssl'], name).toBe(false);
      }
    } finally {
      if (saved === undefined) delete process.env['VSPHERE_ALLOW_UNVERIFIED_SSL'];
      else process.env['VSPHERE_ALLOW_UNVERIFIED_SSL'] = saved;
    }
  });

  it('takes patch releases of the provider the bindings were generated from', () => {
    const json = synthJson(exampleCluster('dev'));
    expect(((json['terraform'] as Json)['required_providers'] as Json)['vsphere']).toEqual({ source: 'vmware/vsphere', version: '~> 2.15.0' });
    // When the bindings move to another provider release, this pin must move with them.
    const bindings = JSON.parse(readFileSync(join(PROJECT_DIR, 'node_modules/@cdktf/provider-vsphere/package.json'), 'utf8')) as { cdktf: { provider: { version: string } } };
    expect(VSPHERE_PROVIDER_VERSION).toBe(`~> ${bindings.cdktf.provider.version}`);
  });

  it('holds no credential, whatever the shell has', () => {
    const saved = { user: process.env['VSPHERE_USER'], password: process.env['VSPHERE_PASSWORD'] };
    process.env['VSPHERE_USER'] = 'canary-user-5f1c';
    process.env['VSPHERE_PASSWORD'] = 'canary-password-9b2e';
    try {
      const text = synthText(exampleCluster('prod'));
      expect(text).not.toContain('canary-user-5f1c');
      expect(text).not.toContain('canary-password-9b2e');
      expect((JSON.parse(text) as { provider: { vsphere: Json[] } }).provider.vsphere[0]).not.toHaveProperty('password');
    } finally {
      for (const [key, value] of [['VSPHERE_USER', saved.user], ['VSPHERE_PASSWORD', saved.password]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe('static hosts', () => {
  it('have no preflight: there is no vCenter to ask', () => {
    expect([...instances(synthJson(exampleCluster('lab'))).keys()]).not.toContain('terraform_data.preflight');
  });
});
