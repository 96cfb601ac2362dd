import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { birdConfigFor, CONFD_CONFIG_DIR, type BirdConfigFiles } from '../../scripts/lab/calico-node/index.ts';
import { replayCases } from './confd-cases.ts';

// Debian's BIRD 1.6.8 (the BIRD Calico's calico/bird is built from) reads every generated
// configuration, laid out as calico-node lays it out: bird.cfg in /etc/calico/confd/config/,
// including bird_aggr.cfg and bird_ipam.cfg by relative name. `bird -p` parses and exits.
//
// The one thing it cannot read is krt_tunnel, the route attribute Calico's IP-in-IP patch adds
// (IPIP pools): for those files the test checks that BIRD stops exactly at krt_tunnel, then that
// the files parse once the krt_tunnel assignments are removed. The lab supports pools without
// IP-in-IP only, whose files have no krt_tunnel.

const BIRD = '/usr/sbin/bird';
const root = mkdtempSync(join(tmpdir(), 'herd-confd-parse-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function layOut(name: string, files: BirdConfigFiles): string {
  const dir = join(root, name.replace(/\//g, '__'), CONFD_CONFIG_DIR);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return join(dir, 'bird.cfg');
}

function parse(config: string): { ok: boolean; message: string } {
  const result = spawnSync(BIRD, ['-p', '-c', config], { encoding: 'utf8' });
  if (result.error) throw new Error(`cannot run ${BIRD} (install Debian's bird: apt-get install bird): ${result.error.message}`);
  return { ok: result.status === 0, message: `${result.stdout}${result.stderr}`.trim() };
}

/** The files without Calico's IP-in-IP attribute (the CrossSubnet choice goes with it). */
function withoutKrtTunnel(files: BirdConfigFiles): BirdConfigFiles {
  const strip = (text: string): string =>
    text.replace(/if \(defined\(bgp_next_hop\)&&\(bgp_next_hop ~ [^)]+\)\) then krt_tunnel=""; else krt_tunnel="tunl0"; /g, '').replace(/krt_tunnel="[^"]*"; /g, '');
  return { 'bird.cfg': strip(files['bird.cfg']), 'bird_aggr.cfg': strip(files['bird_aggr.cfg']), 'bird_ipam.cfg': strip(files['bird_ipam.cfg']) };
}

const cases = [...new Map(replayCases().map((c) => [c.expected, c])).values()];

describe("Debian's BIRD 1.6.8 reads calico-node's files", () => {
  it.each(cases.map((c) => [c.expected, c] as const))('%s', (name, c) => {
    const files = birdConfigFor(c.datastore, c.node, { readSecret: c.readSecret, routerId: c.routerId });
    const tunnels = Object.values(files).some((text) => text.includes('krt_tunnel'));
    const result = parse(layOut(name, files));
    if (!tunnels) {
      expect(result).toEqual({ ok: true, message: '' });
      return;
    }
    // bird: <dir>/bird_ipam.cfg:44:54 You may set only variables.
    const at = /bird_ipam\.cfg:(\d+):(\d+) You may set only variables\./.exec(result.message);
    expect(result.ok).toBe(false);
    expect(at, result.message).not.toBeNull();
    const line = files['bird_ipam.cfg'].split('\n')[Number(at![1]) - 1] ?? '';
    expect(line.slice(0, Number(at![2]))).toContain('krt_tunnel=');
    expect(parse(layOut(`${name}-without-krt_tunnel`, withoutKrtTunnel(files)))).toEqual({ ok: true, message: '' });
  });

  it('rejects a broken file, so a pass means BIRD read the files', () => {
    const c = cases.find((x) => x.expected === 'mesh/ipip-off')!;
    const files = birdConfigFor(c.datastore, c.node, { readSecret: c.readSecret });
    const broken = { ...files, 'bird_aggr.cfg': files['bird_aggr.cfg'].replace('function calico_aggr ()', 'function calico_aggr (') };
    expect(parse(layOut('broken', broken)).message).toMatch(/bird_aggr\.cfg:\d+:\d+ syntax error/);
  });
});
