#!/usr/bin/env node
// herd ships as TypeScript. Its entry point is run from a bundle that
// compiled.mjs keeps up to date with the sources (a fraction of tsx's start-up
// cost), or, should bundling fail, through tsx, which compiles on load.
import { compiledEntry } from './compiled.mjs';

const compiled = await compiledEntry('scripts/cli/main.ts');
if (compiled === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../scripts/cli/main.ts');
} else {
  // Stack traces point at the TypeScript sources, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(compiled);
}
