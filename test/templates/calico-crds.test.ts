import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ALL_CASES, renderedCase } from './cases.ts';
import { loadCrdValidator, type CrdValidator } from './crd-validator.ts';

/** Kinds herd renders that are Kubernetes' own, not Calico's: no CRD to check them against. */
const KUBERNETES_KINDS = new Set(['v1 Node', 'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 RoleBinding']);

function calicoResources(name: string): { file: string; resource: { apiVersion: string; kind: string; metadata: { name: string } } }[] {
  return renderedCase(name)
    .cluster.artifacts.filter((a) => a.path.startsWith('cluster/calico/'))
    .flatMap((a) =>
      parseAllDocuments(a.content).map((doc) => {
        expect(doc.errors, a.path).toEqual([]);
        return { file: a.path, resource: doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } } };
      }),
    );
}

let crds: CrdValidator;
beforeAll(() => {
  crds = loadCrdValidator();
});

describe.each(ALL_CASES)('Calico resources of %s', (name) => {
  it('validate against Calico v3.32.1’s CRD schemas, unknown fields included', () => {
    const checked: string[] = [];
    for (const { file, resource } of calicoResources(name)) {
      const kind = `${resource.apiVersion} ${resource.kind}`;
      if (KUBERNETES_KINDS.has(kind)) continue;
      expect(crds.validate(resource), `${file}: ${kind} ${resource.metadata.name}`).toEqual([]);
      checked.push(resource.kind);
    }
    expect(checked).toContain('Installation');
    expect(checked).toContain('BGPConfiguration');
  });
});

describe('the CRD check', () => {
  const peer = () => calicoResources('prod').find((r) => r.resource.kind === 'BGPPeer')!.resource as unknown as { spec: Record<string, unknown> };

  it('fails a misspelt field (peerIp for peerIP)', () => {
    const resource = peer();
    resource.spec['peerIp'] = resource.spec['peerIP'];
    delete resource.spec['peerIP'];
    expect(crds.validate(resource)).toEqual(['/spec must NOT have additional properties "peerIp"']);
  });

  it('fails a misspelt field deep inside the Installation', () => {
    const installation = calicoResources('prod').find((r) => r.resource.kind === 'Installation')!.resource as unknown as {
      spec: { calicoNetwork: { nodeAddressAutodetectionV4: Record<string, unknown> } };
    };
    installation.spec.calicoNetwork.nodeAddressAutodetectionV4['cidr'] = ['10.40.0.0/22'];
    expect(crds.validate(installation)).toEqual(['/spec/calicoNetwork/nodeAddressAutodetectionV4 must NOT have additional properties "cidr"']);
  });

  it('fails a value outside an enum', () => {
    const resource = peer();
    resource.spec['nextHopMode'] = 'Sometimes';
    expect(crds.validate(resource)).toEqual(['/spec/nextHopMode must be equal to one of the allowed values']);
  });

  it('reads Go’s (?i) patterns case-insensitively', () => {
    const config = calicoResources('prod').find((r) => r.resource.kind === 'BGPConfiguration')!.resource as unknown as { spec: Record<string, unknown> };
    config.spec['logSeverityScreen'] = 'warning';
    expect(crds.validate(config)).toEqual([]);
    config.spec['logSeverityScreen'] = 'Loud';
    expect(crds.validate(config)).toEqual(['/spec/logSeverityScreen must match pattern "^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$"']);
  });

  it('checks CIDR formats', () => {
    const config = calicoResources('prod').find((r) => r.resource.kind === 'BGPConfiguration')!.resource as unknown as { spec: { serviceClusterIPs: { cidr: string }[] } };
    config.spec.serviceClusterIPs[0]!.cidr = '10.96.0.0/33';
    expect(crds.validate(config)).toEqual(['/spec/serviceClusterIPs/0/cidr must match format "cidr"']);
  });

  it('refuses a kind no CRD defines', () => {
    expect(() => crds.validate({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPear' })).toThrow(/no CRD in .* defines projectcalico.org\/v3 BGPPear/);
  });
});
