import { describe, expect, it } from 'vitest';
import { loadEnvironmentByName, type Environment } from '../../stacks/environment/load.ts';
import { cidrsCovering, ipv4ToInt, parseNetwork, type Ipv4Range } from '../../stacks/environment/net.ts';
import { peerAddressGroups, slotOfName } from '../../stacks/topology/peer-addresses.ts';
import type { BgpPeerSpec } from '../../stacks/environment/schema.ts';
import { FIXTURES_DIR } from '../templates/cases.ts';

function addressesOf(cidrs: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const cidr of cidrs) {
    const net = parseNetwork(cidr);
    for (let a = net.first; a <= net.last; a++) out.add(a);
  }
  return out;
}

// A small deterministic generator (mulberry32), so a failure names its seed and replays.
function random(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the CIDRs covering a set of addresses', () => {
  it('are the aligned blocks of a run, largest first', () => {
    const run = (a: string, b: string): Ipv4Range => ({ first: ipv4ToInt(a), last: ipv4ToInt(b) });
    expect(cidrsCovering([run('10.40.0.20', '10.40.0.224')])).toEqual([
      '10.40.0.20/30',
      '10.40.0.24/29',
      '10.40.0.32/27',
      '10.40.0.64/26',
      '10.40.0.128/26',
      '10.40.0.192/27',
      '10.40.0.224/32',
    ]);
    expect(cidrsCovering([run('10.0.0.0', '10.0.0.255')])).toEqual(['10.0.0.0/24']);
    expect(cidrsCovering([run('0.0.0.0', '255.255.255.255')])).toEqual(['0.0.0.0/0']);
    expect(cidrsCovering([])).toEqual([]);
  });

  it('join runs that touch or overlap, and keep gaps out', () => {
    const at = (n: number): Ipv4Range => ({ first: ipv4ToInt('10.0.0.0') + n, last: ipv4ToInt('10.0.0.0') + n });
    expect(cidrsCovering([at(1), at(0), at(3), at(2)])).toEqual(['10.0.0.0/30']);
    expect(cidrsCovering([at(0), at(2)])).toEqual(['10.0.0.0/32', '10.0.0.2/32']);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('hold exactly the addresses, in the fewest blocks (seed %i)', (seed) => {
    const next = random(seed);
    const base = ipv4ToInt('10.0.0.0');
    const runs = Array.from({ length: 1 + Math.floor(next() * 6) }, () => {
      const first = base + Math.floor(next() * 1024);
      return { first, last: first + Math.floor(next() * 300) };
    });
    const wanted = new Set(runs.flatMap((r) => Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i)));
    const cidrs = cidrsCovering(runs);
    expect(addressesOf(cidrs)).toEqual(wanted);
    expect(cidrs.reduce((n, c) => n + 2 ** (32 - parseNetwork(c).prefix), 0), 'blocks overlap').toBe(wanted.size);
    // The fewest blocks are the maximal aligned ones: no block's parent lies wholly inside the set.
    for (const cidr of cidrs) {
      const { prefix, first } = parseNetwork(cidr);
      const parentSize = 2 ** (33 - prefix);
      const parentFirst = Math.floor(first / parentSize) * parentSize;
      const inside = Array.from({ length: parentSize }, (_, i) => parentFirst + i).every((a) => wanted.has(a));
      expect(inside, `${cidr} could be joined with its neighbour`).toBe(false);
    }
  });
});

describe('the addresses a router accepts sessions from', () => {
  const prod = loadEnvironmentByName('prod');
  const rackAsns = loadEnvironmentByName('rack-asns', FIXTURES_DIR);
  const peer = (env: Environment, name: string): BgpPeerSpec => env.spec.calico.bgp.peers.find((p) => p.name === name)!;
  const cidrs = (env: Environment, p: BgpPeerSpec) => peerAddressGroups(env.name, env.spec, p).map((g) => ({ as: g.asNumber, cidrs: cidrsCovering(g.ranges) }));

  it("are, on vSphere, the blocks of the pools that peer: a rack's router takes its rack's pools, whatever their counts", () => {
    // general-b is workerPools[1]: its block starts 5 + 200 after 10.40.0.20 and holds 200.
    expect(addressesOf(cidrs(prod, peer(prod, 'tor-r2-a'))[0]!.cidrs)).toEqual(
      new Set(Array.from({ length: 200 }, (_, i) => ipv4ToInt('10.40.0.225') + i)),
    );
    expect(cidrs(prod, peer(prod, 'tor-r1-a')).map((g) => g.as)).toEqual([65101]);
    expect(addressesOf(cidrs(prod, peer(prod, 'tor-r1-a'))[0]!.cidrs).size).toBe(5 + 200);
  });

  it('add pinned addresses, and leave out the addresses no node may have', () => {
    const spec = structuredClone(prod.spec);
    spec.network.addresses = { 'prod-general-b-2': '10.40.2.250' };
    spec.network.allocation = { start: '10.40.0.0', end: '10.40.3.200', poolSize: 200 };
    spec.calico.bgp.peers = [{ ...peer(prod, 'tor-r1-a'), address: '10.40.0.3' }, ...spec.calico.bgp.peers.slice(1)];
    const r1 = addressesOf(cidrsCovering(peerAddressGroups('prod', spec, spec.calico.bgp.peers[0]!)[0]!.ranges));
    // The block now starts at the network's own address and holds the gateway, the routers and the API endpoint.
    for (const excluded of ['10.40.0.0', '10.40.0.1', '10.40.0.3', '10.40.0.4', '10.40.0.6', '10.40.0.10']) expect(r1.has(ipv4ToInt(excluded)), excluded).toBe(false);
    expect(r1.has(ipv4ToInt('10.40.0.2'))).toBe(true);
    const r2 = addressesOf(cidrsCovering(peerAddressGroups('prod', spec, peer(prod, 'tor-r2-a'))[0]!.ranges));
    expect(r2.has(ipv4ToInt('10.40.2.250'))).toBe(true);
    expect(r1.has(ipv4ToInt('10.40.2.250'))).toBe(false);
  });

  it('are, with static hosts, the hosts named for the pools that peer, one group per AS', () => {
    expect(cidrs(rackAsns, peer(rackAsns, 'tor-both'))).toEqual([
      { as: 65201, cidrs: ['10.30.0.11/32', '10.30.0.21/32', '10.30.0.22/32'] },
      { as: 4200000001, cidrs: ['10.30.0.41/32'] },
    ]);
    const spec = structuredClone(rackAsns.spec);
    if (spec.infrastructure.type !== 'static') throw new Error('rack-asns has static hosts');
    spec.infrastructure.hosts.push({ name: 'rack-asns-a-3', address: '10.30.0.23' }, { name: 'rack-asns-b-7', address: '10.30.0.47' }, { name: 'other-a-4', address: '10.30.0.24' });
    expect(peerAddressGroups('rack-asns', spec, peer(rackAsns, 'tor-both')).map((g) => cidrsCovering(g.ranges))).toEqual([
      ['10.30.0.11/32', '10.30.0.21/32', '10.30.0.22/31'],
      ['10.30.0.41/32', '10.30.0.47/32'],
    ]);
  });

  it('read node names as their pool and index, and nothing else', () => {
    expect(slotOfName('prod', prod.spec, 'prod-general-a-12')).toEqual({ pool: 0, index: 12 });
    expect(slotOfName('prod', prod.spec, 'prod-cp-5')).toEqual({ pool: 'controlPlane', index: 5 });
    for (const name of ['prod-cp-6', 'prod-general-c-1', 'prod-general-a-0', 'dev-general-a-1', 'prod-general-a']) expect(slotOfName('prod', prod.spec, name), name).toBeUndefined();
  });
});
