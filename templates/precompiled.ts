import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { PROJECT_DIR } from '../stacks/project.ts';

// Compiling herd's templates is a sixth of a second of every command that
// renders (herd apply, plan, render, deploy): Handlebars parses each one and
// generates its code anew. A template's compiled form (Handlebars's own
// precompiled spec, what `handlebars --precompile` writes) depends only on its
// text, the options and Handlebars's version, so it is kept in .herd/cache
// under a digest of the three and loaded from there, a tenth of the cost. A
// cache that cannot be written (a read-only checkout) costs only the saving.

const CACHE = join(PROJECT_DIR, '.herd', 'cache', 'templates');

type Engine = typeof Handlebars;

/** Entries a month old go when a new one comes: one an edit left behind is never read again, one still in use is compiled anew once. */
function prune(): void {
  const before = Date.now() - 30 * 24 * 3600 * 1000;
  for (const entry of readdirSync(CACHE)) {
    const path = join(CACHE, entry);
    if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
  }
}

/** The template for `source`, from its cached compiled form or compiled now (and cached). */
export function precompiled(hbs: Engine, source: string, options: CompileOptions): HandlebarsTemplateDelegate {
  const key = createHash('sha256').update(`${hbs.VERSION}\0${JSON.stringify(options)}\0${source}`).digest('hex');
  const file = join(CACHE, `${key}.js`);
  let spec: string;
  try {
    spec = readFileSync(file, 'utf8');
  } catch {
    // Typed as the spec object, precompile returns the spec's JavaScript text (the CLI writes it out as such).
    spec = hbs.precompile(source, options) as unknown as string;
    try {
      mkdirSync(CACHE, { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, spec, { mode: 0o600 });
      renameSync(temp, file);
      prune();
    } catch {
      // Not cached: the next run compiles it again.
    }
  }
  // The spec is JavaScript that Handlebars generated from herd's own template; this is how precompiled templates load.
  return hbs.template(new Function(`return ${spec};`)() as TemplateSpecification);
}
