#!/usr/bin/env node
// herd ships as TypeScript: the CLI runs from a bundle compiled.mjs keeps up to
// date with the sources (a fraction of tsx's start-up), or through tsx.
import { run } from './compiled.mjs';

await run('scripts/cli/main.ts');
