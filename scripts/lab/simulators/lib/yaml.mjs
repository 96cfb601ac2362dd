// The yaml package, loaded on first use: most simulated commands never read or
// write YAML, and loading it was most of their start-up (a simulator starts
// once per call, ~25 calls per host per apply).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let yaml;
const load = () => (yaml ??= require('yaml'));

export const parse = (...args) => load().parse(...args);
export const stringify = (...args) => load().stringify(...args);
export const parseAllDocuments = (...args) => load().parseAllDocuments(...args);
