import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error bin/compiled.mjs is plain JavaScript without declarations: herd's own launcher.
import { compiledEntry } from '../../bin/compiled.mjs';

// herd's CLI starts from a bundle split where commands load modules lazily, so
// that a command does not load libraries only others use: the CDK library,
// the vSphere provider's bindings, Graphviz, the vCenter client and the
// PostgreSQL driver are for deploy/synth/roll, diagram, preflight and pg state.

/** The packages a bundle file imports when it loads, following its static imports of other chunks. */
function staticPackages(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  // Static imports only: `import(` calls are what stays lazy.
  for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"/gms)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('./') || spec.startsWith('../')) for (const p of staticPackages(join(dirname(file), spec), seen)) packages.add(p);
    else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return packages;
}

describe("herd's start-up bundle", () => {
  it('loads neither the CDK library nor Graphviz nor the vCenter client nor the PostgreSQL driver until a command needs them', async () => {
    const main = fileURLToPath((await compiledEntry('scripts/cli/main.ts')) as string);
    const loaded = staticPackages(main);
    expect(loaded).toContain('commander');
    expect(loaded).toContain('zod');
    for (const lazy of ['cdktn', '@cdktf/provider-vsphere', '@hpcc-js/wasm-graphviz', 'fast-xml-parser', 'pg']) expect(loaded, lazy).not.toContain(lazy);
  });
});
