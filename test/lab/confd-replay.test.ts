import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { birdConfigFor, parseCalicoYaml, type BirdConfigFiles } from '../../scripts/lab/calico-node/index.ts';
import { loadCrdValidator } from '../templates/crd-validator.ts';
import { BIRD_FILES, EXPECTED_DIR, filesUnder, INLINE_INPUTS, replayCases, type ReplayCase } from './confd-cases.ts';

// Calico's own confd test cases, replayed through the lab's calico-node generator: every case's
// bird.cfg, bird_aggr.cfg and bird_ipam.cfg must equal, byte for byte, what calico-node v3.32.1
// wrote for it (compiled_templates/). No normalization is applied.

function generate(c: ReplayCase): BirdConfigFiles {
  return birdConfigFor(c.datastore, c.node, { readSecret: c.readSecret, routerId: c.routerId });
}

function expected(c: ReplayCase, file: string): string {
  return readFileSync(join(EXPECTED_DIR, c.expected, file), 'utf8');
}

/** Where two texts first differ, as "line N: expected … got …", or undefined when equal. */
function firstDifference(want: string, got: string): string | undefined {
  if (want === got) return undefined;
  const a = want.split('\n');
  const b = got.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  const n = line < 0 ? a.length : line;
  return `line ${n + 1}: expected ${JSON.stringify(a[n] ?? '(end of file)')}, got ${JSON.stringify(b[n] ?? '(end of file)')}`;
}

const cases = replayCases();

describe("Calico's confd cases, replayed", () => {
  it('replays every expected output that calico-node wrote', () => {
    const dirs = filesUnder(EXPECTED_DIR, (name) => name === 'bird.cfg').map((f) => relative(EXPECTED_DIR, dirname(f)));
    const replayed = new Set(cases.map((c) => c.expected));
    expect(dirs.filter((d) => !replayed.has(d)).sort()).toEqual([]);
    expect(dirs.length).toBe(78);
    expect(cases.length).toBe(79);
  });

  describe.each(cases.map((c, i) => [`${c.expected}${cases.findIndex((o) => o.expected === c.expected) === i ? '' : ' (again)'}`, c] as const))('%s', (_name, c) => {
    const files = generate(c);
    it.each(BIRD_FILES)('%s is what calico-node wrote', (file) => {
      expect(firstDifference(expected(c, file), files[file])).toBeUndefined();
    });
  });
});

describe('the inputs reconstructed from Calico\'s test script', () => {
  const files = filesUnder(INLINE_INPUTS, (name) => name.endsWith('.yaml'));
  const crds = loadCrdValidator();

  it.each(files.map((f) => [relative(INLINE_INPUTS, f), f] as const))('%s is valid for Calico v3.32.1', (_name, file) => {
    const problems = parseCalicoYaml(readFileSync(file, 'utf8'), file)
      .filter((o) => ['BGPConfiguration', 'BGPPeer', 'BGPFilter', 'IPPool'].includes((o as { kind: string }).kind))
      .flatMap((o) => crds.validate(o).map((p) => `${(o as { metadata: { name: string } }).metadata.name}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('the replay comparison', () => {
  const sample = cases.find((c) => c.expected === 'explicit_peering/route_reflector')!;
  const files = generate(sample);

  it('fails when a single byte of the expected output changes', () => {
    const want = expected(sample, 'bird.cfg');
    expect(firstDifference(want, files['bird.cfg'])).toBeUndefined();
    for (const at of [0, Math.floor(want.length / 2), want.length - 1]) {
      const changed = `${want.slice(0, at)}${want[at] === 'x' ? 'y' : 'x'}${want.slice(at + 1)}`;
      expect(firstDifference(changed, files['bird.cfg'])).toMatch(/^line \d+: expected/);
    }
  });

  it('fails when an input changes', () => {
    const bgpPeers = sample.datastore.bgpPeers.map((p) => (p.metadata.name === 'bgppeer-1' ? { ...p, spec: { ...p.spec, asNumber: 64534 } } : p));
    const changed = { ...sample, datastore: { ...sample.datastore, bgpPeers } };
    expect(firstDifference(expected(sample, 'bird.cfg'), generate(changed)['bird.cfg'])).toBe(
      'line 112: expected "  neighbor 172.19.4.87 as 64533;", got "  neighbor 172.19.4.87 as 64534;"',
    );
  });
});
