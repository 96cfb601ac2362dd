import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './tools.ts';

const herd = (...args: string[]) => run('node', ['bin/herd.mjs', ...args]);

describe('herd render', () => {
  it('writes one folder per node plus cluster/, with the artifacts’ modes', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'herd-cli-')), 'lab');
    const result = herd('render', 'lab', '--out', out);
    expect(result).toEqual({ status: 0, output: `lab: wrote 27 files for 3 nodes and 1 BGP peers to ${out}\n` });
    expect(readdirSync(out).sort()).toEqual(['cluster', 'lab-cp-1', 'lab-worker-1', 'lab-worker-2']);
    expect(readdirSync(join(out, 'lab-worker-1'), { recursive: true }).sort()).toEqual([
      'containerd',
      'containerd/config.toml',
      'join-worker.sh',
      'kubeadm',
      'kubeadm/join.yaml',
      'prepare-node.sh',
    ]);
    expect(statSync(join(out, 'lab-cp-1', 'init-control-plane.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'lab-cp-1', 'kubeadm', 'init.yaml')).mode & 0o777).toBe(0o600);
    // A second render replaces the first.
    expect(herd('render', 'lab', '--out', out).status).toBe(0);
  });

  it('refuses to write into a folder that holds something else', () => {
    const out = mkdtempSync(join(tmpdir(), 'herd-cli-'));
    mkdirSync(join(out, 'photos'));
    writeFileSync(join(out, 'photos', 'cat.jpg'), 'meow');
    const result = herd('render', 'lab', '--out', out);
    expect(result).toEqual({ status: 1, output: `herd: ${out} is not empty and holds no earlier render (no cluster/ folder); choose another --out\n` });
    expect(readdirSync(out)).toEqual(['photos']);
  });
});

describe('herd peers', () => {
  it('prints one frr.conf per external peer', () => {
    const result = herd('peers', 'prod');
    expect(result.status).toBe(0);
    expect([...result.output.matchAll(/^hostname (\S+)$/gm)].map((m) => m[1])).toEqual(['tor-r1-a', 'tor-r1-b', 'tor-r2-a', 'tor-r2-b', 'f5-bigip']);
  });

  it('prints one peer with --peer', () => {
    const result = herd('peers', 'prod', '--peer', 'f5-bigip');
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/^! f5-bigip \(10\.40\.0\.6, AS 65010\)/);
    expect(result.output).not.toContain('hostname tor-');
  });

  it('rejects an unknown peer with exit code 2, naming the known ones', () => {
    const result = herd('peers', 'prod', '--peer', 'tor-r9');
    expect(result.status).toBe(2);
    expect(result.output).toContain('prod.yaml: calico.bgp.peers: no peer named "tor-r9"; peers: tor-r1-a, tor-r1-b, tor-r2-a, tor-r2-b, f5-bigip\n');
  });

  it('says so when an environment has no peers', () => {
    expect(herd('peers', 'dev')).toEqual({ status: 0, output: 'dev: no external BGP peers (calico.bgp.peers is empty)\n' });
  });
});
