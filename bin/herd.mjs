#!/usr/bin/env node
// herd ships as TypeScript; tsx compiles it on load so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli/main.ts');
