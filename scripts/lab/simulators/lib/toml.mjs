// smol-toml, loaded on first use: only the simulated containerd reads its config (see yaml.mjs).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let toml;

export const parse = (...args) => (toml ??= require('smol-toml')).parse(...args);
