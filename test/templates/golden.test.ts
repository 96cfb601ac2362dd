import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { allArtifacts, renderCluster } from '../../templates/render.ts';
import { ALL_CASES, GOLDEN_DIR, clusterOf, renderedCase } from './cases.ts';

// Golden files: what a reviewer reads. Each distinct file is stored once; ARTIFACTS.txt lists
// every artifact with its mode and destination and points duplicates at the first copy.
// Update with `npx vitest run test/templates -u` and read the diff.

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe.each(ALL_CASES)('golden files: %s', (name) => {
  it('every rendered file matches its golden copy', async () => {
    const firstWith = new Map<string, string>();
    const index: string[] = [];
    for (const artifact of allArtifacts(renderedCase(name))) {
      const where = `${artifact.mode.toString(8)}  ${artifact.path}  →  ${artifact.destination ?? '(stays off the nodes)'}`;
      const same = firstWith.get(artifact.content);
      if (same !== undefined) {
        index.push(`${where}  (same as ${same})`);
        continue;
      }
      firstWith.set(artifact.content, artifact.path);
      index.push(where);
      await expect(artifact.content).toMatchFileSnapshot(join(GOLDEN_DIR, name, artifact.path));
    }
    await expect(`${index.join('\n')}\n`).toMatchFileSnapshot(join(GOLDEN_DIR, name, 'ARTIFACTS.txt'));
    const expected = new Set([...firstWith.values(), 'ARTIFACTS.txt']);
    const stale = filesUnder(join(GOLDEN_DIR, name)).filter((file) => !expected.has(file));
    expect(stale, 'golden files that no artifact produces any more: delete them').toEqual([]);
  });

  it('renders the same bytes every time, whatever the environment variables say', () => {
    const before = allArtifacts(renderCluster(clusterOf(name)));
    process.env['HERD_RENDER_NOISE'] = String(Math.random());
    const after = allArtifacts(renderCluster(clusterOf(name)));
    delete process.env['HERD_RENDER_NOISE'];
    expect(after).toEqual(before);
  });
});
