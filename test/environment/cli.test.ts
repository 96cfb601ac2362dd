import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';

const HERD = resolve(import.meta.dirname, '../../bin/herd.mjs');
const BROKEN = resolve(import.meta.dirname, 'broken');

/** many.yaml in a fresh folder: the broken corpus's base with three cross-field mistakes and the given calico line. */
function brokenFile(calico: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'herd-validate-')), 'many.yaml');
  const lines = [
    `extends: ${join(BROKEN, '_base.yaml')}`,
    'controlPlane: { count: 3, endpoint: { type: firstNode } }',
    'kubernetes: { version: 1.28.1, serviceCidr: 10.20.0.0/16 }',
    calico,
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('herd validate', () => {
  it('passes the examples', () => {
    expect(execFileSync(HERD, ['validate', 'lab', 'dev', 'prod'], { encoding: 'utf8' })).toBe('lab: valid\ndev: valid\nprod: valid\n');
  });

  it('exits 2 and prints file:line, path and message for a broken file', () => {
    const run = spawnSync(HERD, ['validate', '--environments', join(BROKEN, 'peer-is-node'), 'broken'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `${join(BROKEN, 'peer-is-node', 'broken.yaml')}:8: calico.bgp.peers[0].address: 10.20.0.15 is node broken-general-1's address`,
    );
    expect(run.stderr).toContain('nothing was changed');
  });

  it('reports every problem of a file at once', () => {
    const file = brokenFile('calico: { bgp: { peers: [{ name: tor, address: 10.20.0.10, asNumber: 65001, password: s3cret }] } }');
    let error: unknown;
    try {
      loadEnvironment(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['calico.bgp.peers[0].password']));
    expect((error as ConfigError).message).not.toContain('s3cret');
  });

  it('reports cross-field problems together', () => {
    const file = brokenFile('calico: { bgp: { peers: [{ name: tor, address: 10.20.0.10, asNumber: 65001 }] } }');
    const run = spawnSync(HERD, ['validate', '--environments', dirname(file), 'many'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    for (const path of ['controlPlane.endpoint.type', 'kubernetes.version', 'kubernetes.serviceCidr', 'calico.bgp.peers[0].address']) {
      expect(run.stderr).toContain(`: ${path}: `);
    }
    expect(run.stderr).toContain('4 problems found');
  });

  it('reports five mistakes of five kinds as five problems, each at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-validate-'));
    const lines = [
      `extends: ${join(BROKEN, '_base.yaml')}`,
      'controlPlane:',
      '  count: 1',
      '  cpus: 4', // 4: an unknown field
      'workerPools:',
      '  - name: general',
      '    count: 2',
      '    memoryMiB: lots', // 8: a wrong type
      'kubernetes:',
      '  serviceCidr: 10.96.0.0/11', // 10: more than kube-apiserver accepts
      'calico:',
      '  bgp:',
      '    peers:',
      '      - { name: tor, address: 10.20.0.15, asNumber: 65001 }', // 14: a node's address
      'ssh:',
      '  port: 22',
      '  port: 2222', // 17: a key given twice
      '',
    ];
    writeFileSync(join(dir, 'five.yaml'), lines.join('\n'));
    const run = spawnSync(HERD, ['validate', '--environments', dir, 'five'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    const where = (line: number, path: string): string => `${join(dir, 'five.yaml')}:${line}: ${path}: `;
    const reported = run.stderr.split('\n').filter((l) => l.startsWith(dir));
    expect(reported.map((l) => l.slice(0, l.indexOf(': ', l.indexOf(': ') + 2) + 2)).sort()).toEqual(
      [
        where(4, 'controlPlane.cpus'),
        where(8, 'workerPools[0].memoryMiB'),
        where(10, 'kubernetes.serviceCidr'),
        where(14, 'calico.bgp.peers[0].address'),
        where(17, 'ssh.port'),
      ].sort(),
    );
    expect(run.stderr).toContain('unknown field "cpus" (did you mean "cpu"?)');
    expect(run.stderr).toContain('must be a number such as 4, not the text "lots"');
    expect(run.stderr).toContain('/11 is too large: kube-apiserver accepts a service network of /12 to /28');
    expect(run.stderr).toContain("10.20.0.15 is node five-general-1's address");
    expect(run.stderr).toContain('"port" is given twice in this mapping (first on line 16)');
    expect(run.stderr).toContain('5 problems found; nothing was changed.');
  });

  it('runs the cross-field checks past a schema error, and none that reads the rejected value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-validate-'));
    // The gateway and the second DNS server are not addresses: the checks of those two cannot run;
    // the pod network still overlaps the node network, and the peer is still a node's address.
    const lines = [
      `extends: ${join(BROKEN, '_base.yaml')}`,
      'network: { gateway: 10.20.0.one, dnsServers: [10.0.0.53, 10.0.0.5a] }',
      'kubernetes: { podCidr: 10.20.0.0/16 }',
      'calico: { bgp: { peers: [{ name: tor, address: 10.20.0.15, asNumber: 65001 }] } }',
      '',
    ];
    writeFileSync(join(dir, 'two.yaml'), lines.join('\n'));
    let error: unknown;
    try {
      loadEnvironment(join(dir, 'two.yaml'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'network.gateway: must be an IPv4 address such as 10.0.0.5',
      'network.dnsServers[1]: must be an IPv4 address such as 10.0.0.5',
      "calico.bgp.peers[0].address: 10.20.0.15 is node two-general-1's address; a BGP peer is a router or load balancer outside the cluster",
      'kubernetes.podCidr: 10.20.0.0/16 overlaps network.cidr (10.20.0.0/24); node, pod and service networks must be disjoint',
    ]);
  });

  it('accepts 4-byte AS numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-validate-'));
    const file = join(dir, 'asn.yaml');
    writeFileSync(file, `extends: ${join(BROKEN, '_base.yaml')}\ncalico: { bgp: { asNumber: 4200000000 } }\n`);
    expect(loadEnvironment(file).spec.calico.bgp.asNumber).toBe(4200000000);
  });
});

describe('herd nodes', () => {
  it('prints the node table', () => {
    const out = execFileSync(HERD, ['nodes', 'lab'], { encoding: 'utf8' });
    expect(out.split('\n').slice(0, 2)).toEqual([
      'NAME          ROLE          POOL    RACK  ADDRESS       AS     RR  CPU/MiB/GiB',
      'lab-cp-1      controlPlane  cp      -     198.18.10.11  64512  -   2/4096/40',
    ]);
  });
});
