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
      `${join(BROKEN, 'peer-is-node', 'broken.yaml')}:7: calico.bgp.peers[0].address: 10.20.0.15 is node broken-general-1's address`,
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
