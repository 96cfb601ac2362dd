#!/usr/bin/env node
// cdktf.json's app, which the CDK CLI runs to synthesize the stacks
// (stacks/main.ts): from a bundle compiled.mjs keeps up to date, or through tsx.
import { run } from './compiled.mjs';

await run('stacks/main.ts');
