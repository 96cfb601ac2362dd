import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';

// Switching the CDK library (cdktn ↔ cdktf) must stay a change to one module:
// everything else takes the CDK's classes from stacks/cdk.ts.

const SEAM = 'stacks/cdk.ts';
const CDK_IMPORT = /\bfrom\s+['"](cdktf|cdktn)(\/[^'"]*)?['"]|\bimport\(\s*['"](cdktf|cdktn)(\/[^'"]*)?['"]\s*\)/;

function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_DIR, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(ts|mts|mjs|js)$/.test(d.name) && !d.parentPath.includes('node_modules'))
    .map((d) => relative(PROJECT_DIR, join(d.parentPath, d.name)));
}

describe('the CDK seam', () => {
  it(`only ${SEAM} imports the CDK library`, () => {
    const files = ['stacks', 'scripts', 'templates', 'bench', 'test', 'bin'].flatMap(sources);
    expect(files).toContain(SEAM);
    const importers = files.filter((f) => CDK_IMPORT.test(readFileSync(join(PROJECT_DIR, f), 'utf8')));
    expect(importers).toEqual([SEAM]);
  });
});
