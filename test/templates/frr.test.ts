import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_CASES, atCapacity, clusterOf, renderedCase } from './cases.ts';
import { renderCluster, type RenderedCluster } from '../../templates/render.ts';
import { neighborsForm } from '../../stacks/topology/peer-addresses.ts';
import { nodesPeeringWith } from '../../templates/peer-view.ts';
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

  const frrConf = (rendered: RenderedCluster, peer: string) => rendered.peers.find((p) => p.name === peer)!.frrConf.content;
  const lines = (conf: string, pattern: RegExp) => [...conf.matchAll(pattern)].map((m) => m.slice(1).join(' '));

  it("accept a rack's nodes by listen ranges: one peer group with the rack's AS, the password and room for the whole block", () => {
    const tor = frrConf(renderedCase('prod'), 'tor-r2-a');
    expect(lines(tor, /^ neighbor (\S+) remote-as (\d+)$/gm)).toEqual(['herd-prod-as65102 65102']);
    // general-b's block: 10.40.0.225 to 10.40.1.168, 200 addresses.
    expect(lines(tor, /^ bgp listen range (\S+) peer-group (\S+)$/gm).map((l) => l.split(' ')[0])).toEqual([
      '10.40.0.225/32',
      '10.40.0.226/31',
      '10.40.0.228/30',
      '10.40.0.232/29',
      '10.40.0.240/28',
      '10.40.1.0/25',
      '10.40.1.128/27',
      '10.40.1.160/29',
      '10.40.1.168/32',
    ]);
    expect(tor).toContain(' bgp listen limit 200\n');
    expect(tor).not.toMatch(/^ neighbor \d/m);
    expect(tor).toContain(' neighbor herd-prod-as65102 password ${PROD_TOR_BGP_PASSWORD}\n');
    expect(tor).toContain('ip prefix-list herd-prod-in seq 5 permit 10.244.0.0/16 le 32\n');
    expect(tor.replace(/\n! /g, ' ')).toContain('Nodes added or removed there need no change on this router.');
  });

  it('a router of two racks in two AS numbers takes one peer group per AS', () => {
    const tor = frrConf(renderedCase('rack-asns'), 'tor-both');
    expect(lines(tor, /^ neighbor (\S+) remote-as (\d+)$/gm)).toEqual(['herd-rack-asns-as65201 65201', 'herd-rack-asns-as4200000001 4200000001']);
    expect(lines(tor, /^ bgp listen range (\S+) peer-group (\S+)$/gm)).toEqual([
      '10.30.0.11/32 herd-rack-asns-as65201',
      '10.30.0.21/32 herd-rack-asns-as65201',
      '10.30.0.22/32 herd-rack-asns-as65201',
      '10.30.0.41/32 herd-rack-asns-as4200000001',
    ]);
    expect(lines(tor, /^ {2}neighbor (\S+) activate$/gm)).toEqual(['herd-rack-asns-as65201', 'herd-rack-asns-as4200000001']);
  });

  it('neighbors: static lists each node that peers today under its AS, and the header says which counts change it', () => {
    const tor = frrConf(renderedCase('rack-asns'), 'tor-ra');
    expect(lines(tor, /^ neighbor (\d\S+) peer-group (\S+)$/gm)).toEqual([
      '10.30.0.11 herd-rack-asns-as65201',
      '10.30.0.21 herd-rack-asns-as65201',
      '10.30.0.22 herd-rack-asns-as65201',
    ]);
    expect(tor).not.toContain('listen');
    expect(tor.replace(/\n! /g, ' ')).toContain('every change of controlPlane.count, the count of workerPools a changes this file.');
  });

  it("the load balancer lists the route reflectors as static neighbors, since BIG-IP's imish has no listen ranges", () => {
    const f5 = frrConf(renderedCase('prod'), 'f5-bigip');
    expect(lines(f5, /^ neighbor (\d\S+) peer-group (\S+)$/gm)).toEqual([
      '10.40.0.20 herd-prod-as65101',
      '10.40.0.21 herd-prod-as65101',
      '10.40.0.22 herd-prod-as65101',
      '10.40.0.225 herd-prod-as65102',
      '10.40.0.226 herd-prod-as65102',
    ]);
    expect(lines(f5, / description (prod-\S+)$/gm)).toEqual(['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-general-b-1', 'prod-general-b-2']);
    expect(f5).not.toContain('listen');
    expect(f5.replace(/\n! /g, ' ')).toContain("Static neighbors, one per node (BIG-IP's imish has no dynamic neighbors that herd relies on): the route reflectors");
  });

  it.each(ALL_CASES)('%s: filling every pool to capacity leaves each dynamic config byte for byte as it is', (name) => {
    const [now, full] = [clusterOf(name), atCapacity(name)];
    const [before, after] = [renderedCase(name).peers, renderCluster(full).peers];
    for (const peer of now.spec.calico.bgp.peers) {
      const [was, is] = [before, after].map((peers) => peers.find((p) => p.name === peer.name)!.frrConf.content);
      const moreNodes = nodesPeeringWith(full, peer).length > nodesPeeringWith(now, peer).length;
      if (neighborsForm(peer) === 'dynamic' || !moreNodes) expect(is, peer.name).toBe(was);
      else expect(is, peer.name).not.toBe(was);
    }
  });
});
