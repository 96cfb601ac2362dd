import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listEnvironments } from '../../stacks/environment/load.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { networkModel, type NetworkModel } from '../../scripts/diagram/model.ts';
import { toDot } from '../../scripts/diagram/dot.ts';
import { dotToSvg } from '../../scripts/diagram/svg.ts';
import { exampleCluster } from '../stacks/synth.ts';

// `herd diagram`: every example drawn, and every node, router and session of
// the network model on the picture; the model checked against what the
// renderer gives the routers and Calico (prod's sessions counted by hand).

/** The ids Graphviz wrote into the SVG (node:…, router:…, session:…, group:…). */
function svgIds(svg: string): Set<string> {
  return new Set([...svg.matchAll(/<g id="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&#45;', '-').replaceAll('&gt;', '>')));
}

function unescape(text: string): string {
  return text.replaceAll('&#45;', '-').replaceAll('&gt;', '>').replaceAll('&lt;', '<').replaceAll('&amp;', '&').replaceAll('&#160;', ' ');
}

async function drawn(model: NetworkModel, groupAbove = 8): Promise<{ ids: Set<string>; svg: string }> {
  const svg = await dotToSvg(toDot(model, { groupAbove }));
  return { ids: svgIds(svg), svg: unescape(svg) };
}

describe('herd diagram', () => {
  it.each(listEnvironments())('%s: every node, router and session is on the picture', async (name) => {
    const model = networkModel(exampleCluster(name));
    const { ids, svg } = await drawn(model);
    const nodes = model.racks.flatMap((r) => r.nodes);
    for (const n of nodes) {
      expect(ids, n.name).toContain(`node:${n.name}`);
      expect(svg).toContain(`${n.address} · AS ${n.asNumber}`);
    }
    for (const r of model.routers) expect(ids, r.name).toContain(`router:${r.name}`);
    for (const s of model.sessions) expect(ids, `${s.from} – ${s.to}`).toContain(`session:${s.from}|${s.to}|${s.type}`);
    expect([...ids].filter((id) => id.startsWith('session:'))).toHaveLength(model.sessions.length);
    expect(svg).toContain(model.apiEndpoint.url);
  });

  it("prod: the ToRs' and the F5's sessions, their types and passwords, and what each router receives", () => {
    const model = networkModel(exampleCluster('prod'));
    const count = (pred: (s: NetworkModel['sessions'][number]) => boolean): number => model.sessions.filter(pred).length;
    // 9 nodes in r1 × 2 ToRs + 6 in r2 × 2; the F5 with the 5 reflectors; per rack, reflectors with each other
    // and the rack's other nodes with each reflector: r1 3 + 6 × 3, r2 1 + 4 × 2.
    expect(count((s) => s.reason === 'peer' && s.to.startsWith('tor-'))).toBe(30);
    expect(count((s) => s.to === 'f5-bigip')).toBe(5);
    expect(count((s) => s.reason === 'routeReflector')).toBe(3 + 18 + 1 + 8);
    expect(model.sessions).toHaveLength(65);
    expect(model.sessions.filter((s) => s.reason === 'peer').every((s) => s.type === 'eBGP' && s.passwordEnv !== null)).toBe(true);
    expect(model.sessions.filter((s) => s.reason === 'routeReflector').every((s) => s.type === 'iBGP' && s.passwordEnv === null)).toBe(true);
    expect(model.sessions.find((s) => s.from === 'prod-general-a-1' && s.to === 'prod-cp-1')).toMatchObject({ type: 'iBGP' });
    expect(model.sessions.find((s) => s.from === 'prod-general-b-3' && s.to === 'prod-general-b-1')).toMatchObject({ type: 'iBGP' });
    // Reflection stays within a rack: r2's nodes have no session with r1's reflectors.
    expect(model.sessions.some((s) => s.from.startsWith('prod-general-b') && s.to.startsWith('prod-cp'))).toBe(false);
    const tor = model.routers.find((r) => r.name === 'tor-r1-a')!;
    expect(tor.receives.map((p) => p.cidr)).toEqual(['10.244.0.0/16', '10.96.0.0/12', '10.41.0.0/24']);
    expect(tor.filteredOut.map((p) => p.cidr)).toEqual(['10.41.1.0/24']);
    const f5 = model.routers.find((r) => r.name === 'f5-bigip')!;
    expect(f5).toMatchObject({ kind: 'loadBalancer', asNumber: 65010, filteredOut: [] });
    expect(f5.receives).toHaveLength(4);
    expect(model.apiEndpoint).toEqual({ url: 'https://10.40.0.10:6443', onFirstNode: false });
  });

  it('dev: the node-to-node mesh, no routers, the API on the first control plane', () => {
    const model = networkModel(exampleCluster('dev'));
    expect(model.routers).toEqual([]);
    expect(model.sessions.map((s) => `${s.from}-${s.to} ${s.type} ${s.reason}`)).toEqual([
      'dev-cp-1-dev-general-1 iBGP mesh',
      'dev-cp-1-dev-general-2 iBGP mesh',
      'dev-general-1-dev-general-2 iBGP mesh',
    ]);
    expect(model.apiEndpoint).toEqual({ url: 'https://10.20.0.10:6443', onFirstNode: true });
  });

  it('100 nodes: a large pool is one box with its address range, and its edges count every session', async () => {
    const model = networkModel(
      exampleCluster('prod', (spec) => {
        spec.workerPools[0]!.count = 50;
        spec.workerPools[1]!.count = 47;
      }),
    );
    expect(model.racks.flatMap((r) => r.nodes)).toHaveLength(100);
    const { ids, svg } = await drawn(model);
    expect(ids).toContain('group:general-a:r1');
    expect(ids).toContain('group:general-b:r2');
    expect(svg).toContain('prod-general-a-1 … prod-general-a-50');
    expect(svg).toContain('50 nodes · 10.40.0.25 – 10.40.0.74');
    for (const rr of ['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-general-b-1', 'prod-general-b-2']) expect(ids).toContain(`node:${rr}`);
    expect(svg).toContain('prod-general-b-3 … prod-general-b-47');
    // Every session is on an edge: the counts on the edges add up to the model's.
    const edges = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!).filter((t) => t.includes('->'));
    const labels = [...svg.matchAll(/<a xlink:title="(\d+)× /g)].map((m) => Number(m[1]));
    const single = [...svg.matchAll(/<a xlink:title="(iBGP|eBGP) /g)].length;
    expect(labels.reduce((a, b) => a + b, 0) + single).toBe(model.sessions.length);
    expect(edges.length).toBeLessThan(40);
  });

  it('the docs show the diagrams of dev and prod as they compute now (npx herd diagram <env> --out docs/diagrams/<env>.svg)', async () => {
    for (const name of ['dev', 'prod']) {
      const current = await dotToSvg(toDot(networkModel(exampleCluster(name))));
      expect(readFileSync(join(PROJECT_DIR, 'docs', 'diagrams', `${name}.svg`), 'utf8'), `docs/diagrams/${name}.svg`).toBe(current);
    }
  });

  it('the DOT of prod is what reviewers read', async () => {
    await expect(toDot(networkModel(exampleCluster('prod')))).toMatchFileSnapshot('__snapshots__/prod.dot');
  });
});

describe('herd diagram on the command line', () => {
  const herd = (...args: string[]) => spawnSync('node', ['bin/herd.mjs', ...args], { cwd: PROJECT_DIR, encoding: 'utf8' });

  it('writes SVG, or DOT with --format dot', () => {
    const svg = herd('diagram', 'dev').stdout;
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svgIds(svg)).toContain('node:dev-cp-1');
    expect(herd('diagram', 'dev', '--format', 'dot').stdout).toMatch(/^digraph "dev" \{/);
  });

  it('names the problem in bad input, and writes nothing', () => {
    const unknown = herd('diagram', 'nosuch');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('nosuch');
    expect(unknown.stdout).toBe('');
    const format = herd('diagram', 'dev', '--format', 'png');
    expect(format.status).not.toBe(0);
    expect(format.stderr).toContain("error: option '--format <format>' argument 'png' is invalid. Allowed choices are svg, dot.");
    expect(herd('diagram', 'dev', '--group-above', 'many').stderr).toContain("error: option '--group-above <n>' argument 'many' is invalid. must be a whole number");
  });
});
