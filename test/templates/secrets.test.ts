import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allArtifacts, renderCluster } from '../../templates/render.ts';
import { ALL_CASES, FIXTURES_DIR, clusterOf } from './cases.ts';
import { run } from './tools.ts';

// Secrets are named in the environment files and read from environment variables only on the
// node. Every variable a case names gets a canary value here; no rendered byte may carry one.

const CANARY = 'canary-7f3e9d1c';
const names = [...new Set(ALL_CASES.flatMap((c) => clusterOf(c).spec.calico.bgp.peers.flatMap((p) => (p.passwordFrom ? [p.passwordFrom.env] : []))))];
const joinSecrets = ['KUBEADM_JOIN_TOKEN', 'KUBEADM_CA_CERT_HASH', 'KUBEADM_CERTIFICATE_KEY'];

beforeAll(() => {
  for (const name of [...names, ...joinSecrets]) process.env[name] = `${CANARY}-${name}`;
});
afterAll(() => {
  for (const name of [...names, ...joinSecrets]) delete process.env[name];
});

describe('secrets', () => {
  it('the cases name BGP passwords to test with', () => {
    expect(names.sort()).toEqual(['PROD_F5_BGP_PASSWORD', 'PROD_TOR_BGP_PASSWORD', 'RACK_ASNS_TOR_BOTH_PASSWORD', 'RACK_ASNS_TOR_RA_PASSWORD']);
  });

  it.each(ALL_CASES)('%s: no canary in any rendered file', (name) => {
    for (const artifact of allArtifacts(renderCluster(clusterOf(name)))) {
      expect(artifact.content.includes(CANARY), artifact.path).toBe(false);
    }
  });

  it('rendered files name where each password comes from instead', () => {
    const rendered = renderCluster(clusterOf('rack-asns'));
    const script = rendered.cluster.artifacts.find((a) => a.path === 'cluster/apply-calico.sh')!.content;
    expect(script).toContain('--from-file=RACK_ASNS_TOR_RA_PASSWORD="$secrets/RACK_ASNS_TOR_RA_PASSWORD"');
    const bgp = rendered.cluster.artifacts.find((a) => a.path === 'cluster/calico/bgp.yaml')!.content;
    expect(bgp).toContain('      key: RACK_ASNS_TOR_RA_PASSWORD\n');
    expect(rendered.peers.find((p) => p.name === 'tor-ra')!.frrConf.content).toContain('password ${RACK_ASNS_TOR_RA_PASSWORD}');
  });

  it('`herd render` writes no canary either, with the variables set in its environment', () => {
    const out = mkdtempSync(join(tmpdir(), 'herd-render-'));
    const result = run('node', ['bin/herd.mjs', '--environments', FIXTURES_DIR, 'render', 'rack-asns', '--out', out]);
    expect(result.status, result.output).toBe(0);
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(10);
    for (const e of files) expect(readFileSync(join(e.parentPath, e.name), 'utf8').includes(CANARY), e.name).toBe(false);
  });
});
