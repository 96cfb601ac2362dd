import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herdApp } from '../../stacks/app.ts';
import { listEnvironments, loadEnvironmentByName } from '../../stacks/environment/load.ts';

// No secret reaches cdktf.out: every secret the examples name, and the vSphere
// credentials, are set to canary values while every stack is synthesized.

function secretNames(): string[] {
  const names = new Set(['VSPHERE_USER', 'VSPHERE_PASSWORD', 'VSPHERE_SERVER']);
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.endsWith('From') && typeof (child as { env?: unknown }).env === 'string') names.add((child as { env: string }).env);
        collect(child);
      }
    }
  };
  for (const env of listEnvironments()) collect(loadEnvironmentByName(env).spec);
  return [...names].sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('secrets during synthesis', () => {
  const saved = new Map<string, string | undefined>();
  afterEach(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    saved.clear();
  });

  it('the examples name the BGP passwords the canary covers', () => {
    expect(secretNames()).toEqual(['PROD_F5_BGP_PASSWORD', 'PROD_TOR_BGP_PASSWORD', 'VSPHERE_PASSWORD', 'VSPHERE_SERVER', 'VSPHERE_USER']);
  });

  it('no canary value appears anywhere in cdktf.out', () => {
    const canaries = secretNames().map((name, i) => {
      saved.set(name, process.env[name]);
      const value = `canary-${i}-${name.toLowerCase()}-7f3a9c`;
      process.env[name] = value;
      return value;
    });
    const outdir = mkdtempSync(join(tmpdir(), 'herd-canary-'));
    try {
      herdApp({ outdir }).synth();
      const files = filesUnder(outdir);
      expect(files.filter((f) => f.endsWith('cdk.tf.json')).length).toBe(listEnvironments().length);
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const canary of canaries) expect(text.includes(canary), `${canary} in ${file}`).toBe(false);
        expect(text, file).not.toMatch(/PRIVATE KEY/);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
