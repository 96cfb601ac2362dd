import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderedCase } from './cases.ts';
import { run, writeDistinct } from './tools.ts';

// FRR's own parser: `vtysh -C` (dry run) reads a config file and reports every line it does not
// accept, without any FRR daemon running. --config_dir points it at an empty vtysh.conf so the
// machine's /etc/frr plays no part.
const configDir = mkdtempSync(join(tmpdir(), 'herd-vtysh-'));
writeFileSync(join(configDir, 'vtysh.conf'), '');
const vtyshCheck = (file: string) => run('vtysh', ['--config_dir', configDir, '-C', '-f', file]);

describe("routers' frr.conf", () => {
  const configs = writeDistinct((a) => a.path.endsWith('/frr.conf'));

  it('exist for every external peer', () => {
    expect(configs.files.map((f) => f.origin)).toContain('prod: cluster/peers/f5-bigip/frr.conf');
    expect(renderedCase('no-peers').peers).toEqual([]);
  });

  it("pass FRR's parser (vtysh -C)", () => {
    for (const { file, origin } of configs.files) expect(vtyshCheck(file), origin).toEqual({ status: 0, output: '' });
  });

  it('the parser check can fail: a misspelt command is reported with its line', () => {
    const bad = join(configDir, 'bad.conf');
    writeFileSync(bad, 'router bgp 65001\n neighbor 10.0.0.1 remote-az 65002\nexit\n');
    const result = vtyshCheck(bad);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('line 2: % Unknown command');
  });

  it('list every node that peers with the router, with its own AS', () => {
    const tor = renderedCase('prod').peers.find((p) => p.name === 'tor-r2-a')!.frrConf.content;
    const neighbors = [...tor.matchAll(/^ neighbor (\S+) remote-as (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(neighbors).toEqual(['10.40.0.225 65102', '10.40.0.226 65102', '10.40.0.227 65102', '10.40.0.228 65102', '10.40.0.229 65102', '10.40.0.230 65102']);
    expect(tor).toContain(' neighbor herd-prod password ${PROD_TOR_BGP_PASSWORD}\n');
    expect(tor).toContain('ip prefix-list herd-prod-in seq 5 permit 10.244.0.0/16 le 32\n');
  });

  it('a route-reflector peer lists only the reflectors', () => {
    const f5 = renderedCase('prod').peers.find((p) => p.name === 'f5-bigip')!.frrConf.content;
    expect([...f5.matchAll(/ description (\S+)$/gm)].map((m) => m[1])).toEqual(['prod-cp-1', 'prod-cp-2', 'prod-cp-3']);
  });
});
