import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Artifact } from '../../templates/render.ts';
import { allArtifacts } from '../../templates/render.ts';
import { ALL_CASES, renderedCase } from './cases.ts';

/** Every distinct artifact of every case whose path passes `keep`, once each, written to a fresh temporary folder. */
export function writeDistinct(keep: (a: Artifact) => boolean): { dir: string; files: { file: string; origin: string }[] } {
  const dir = mkdtempSync(join(tmpdir(), 'herd-templates-'));
  const seen = new Set<string>();
  const files: { file: string; origin: string }[] = [];
  for (const name of ALL_CASES) {
    for (const artifact of allArtifacts(renderedCase(name)).filter(keep)) {
      if (seen.has(artifact.content)) continue;
      seen.add(artifact.content);
      const file = join(dir, `${files.length}-${artifact.path.split('/').at(-1)}`);
      writeFileSync(file, artifact.content, { mode: artifact.mode });
      files.push({ file, origin: `${name}: ${artifact.path}` });
    }
  }
  return { dir, files };
}

export function run(command: string, args: readonly string[], cwd?: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
