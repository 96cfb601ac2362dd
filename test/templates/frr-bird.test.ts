import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { renderedCase } from './cases.ts';

// A router loaded with exactly what `herd peers` renders, and BIRD 1.6.8 speaking for nodes the
// way calico-node configures it (the session options below are those of calico-node's bird.cfg
// for a BGPPeer with a password: confd-tests compiled_templates/password/step2 and
// explicit_peering/global). rack-asns's tor-both takes two racks in two AS numbers through
// listen ranges with a password. Everything runs in network namespaces this file creates, on
// the fixture's own 10.30.0.0/24, and is removed afterwards.
const PASSWORD = 'canary-tor-both-5b1e';
// Named by this process: a run killed before its afterAll leaves namespaces the next run must not trip on.
const NS_PREFIX = `hpeers-${process.pid}-`;
const ROUTER_NS = `${NS_PREFIX}router`;
const BGPD = '/usr/lib/frr/bgpd';
const work = mkdtempSync(join(tmpdir(), 'herd-frr-bird-'));
const started: number[] = [];
const namespaces: string[] = [];

interface Speaker {
  name: string;
  address: string;
  asNumber: number;
  password: string;
  podBlock: string;
}

/** rack-asns-cp-1 and -b-1 as the fixture has them; a host outside every range; a node with a wrong password. */
const SPEAKERS: Speaker[] = [
  { name: 'cp-1', address: '10.30.0.11', asNumber: 65201, password: PASSWORD, podBlock: '10.244.1.0/26' },
  { name: 'b-1', address: '10.30.0.41', asNumber: 4200000001, password: PASSWORD, podBlock: '10.244.2.0/26' },
  { name: 'outsider', address: '10.30.0.99', asNumber: 65201, password: PASSWORD, podBlock: '10.244.3.0/26' },
  { name: 'a-1', address: '10.30.0.21', asNumber: 65201, password: 'not-the-password', podBlock: '10.244.4.0/26' },
];

function sh(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function birdConf(s: Speaker): string {
  return `router id ${s.address};
protocol device { scan time 2; }
protocol static { route ${s.podBlock} blackhole; }
template bgp bgp_template {
  description "Connection to BGP peer";
  local as ${s.asNumber};
  gateway recursive;
  add paths on;
  graceful restart;
  connect delay time 2;
  connect retry time 5;
  error wait time 5,30;
}
protocol bgp Global_10_30_0_3 from bgp_template {
  ttl security off;
  multihop;
  neighbor 10.30.0.3 as 65002;
  source address ${s.address};
  import all;
  export filter { if (net ~ 10.244.0.0/16) then accept; reject; };
  password "${s.password}";
}
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a killed run of this file left: its daemons and namespaces. */
function removeLeftNamespaces(): void {
  for (const line of sh('ip', ['netns', 'list']).split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const owner = /^hpeers-(\d+)-/.exec(ns);
    if (owner === null || alive(Number(owner[1]))) continue;
    for (const pid of sh('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) spawnSync('kill', ['-9', pid]);
    sh('ip', ['netns', 'del', ns]);
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const vtysh = (...command: string[]) => sh('vtysh', ['--vty_socket', work, ...command.flatMap((c) => ['-c', c])]);

describe.skipIf(userInfo().uid !== 0 || !existsSync(BGPD) || spawnSync('bird', ['--version']).error !== undefined)('a router configured by herd peers, with BIRD as calico-node runs it', () => {
  beforeAll(() => {
    removeLeftNamespaces();
    chmodSync(work, 0o711);
    chownSync(work, Number(sh('id', ['-u', 'frr']).trim()), Number(sh('id', ['-g', 'frr']).trim()));
    sh('ip', ['netns', 'add', ROUTER_NS]);
    namespaces.push(ROUTER_NS);
    const inRouter = (...args: string[]) => sh('ip', ['-n', ROUTER_NS, ...args]);
    inRouter('link', 'set', 'lo', 'up');
    inRouter('link', 'add', 'br0', 'type', 'bridge');
    inRouter('addr', 'add', '10.30.0.3/24', 'dev', 'br0');
    inRouter('link', 'set', 'br0', 'up');
    SPEAKERS.forEach((s, i) => {
      const ns = `${NS_PREFIX}${s.name}`;
      sh('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      sh('ip', ['-n', ROUTER_NS, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh('ip', ['-n', ROUTER_NS, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `${s.address}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    });
    const conf = renderedCase('rack-asns').peers.find((p) => p.name === 'tor-both')!.frrConf.content;
    const confFile = join(work, 'bgpd.conf');
    // As the file's header tells an operator: the password by envsubst, the rest as rendered.
    writeFileSync(confFile, conf.replaceAll('${RACK_ASNS_TOR_BOTH_PASSWORD}', PASSWORD), { mode: 0o600 });
    chownSync(confFile, Number(sh('id', ['-u', 'frr']).trim()), 0);
    sh('ip', ['netns', 'exec', ROUTER_NS, BGPD, '-d', '-Z', '-P', '0', '-f', confFile, '-i', join(work, 'bgpd.pid'), '--vty_socket', work, '-u', 'frr', '-g', 'frr', '--log', `file:${join(work, 'bgpd.log')}`]);
    started.push(Number(readFileSync(join(work, 'bgpd.pid'), 'utf8').trim()));
    for (const s of SPEAKERS) {
      const file = join(work, `bird-${s.name}.conf`);
      writeFileSync(file, birdConf(s), { mode: 0o600 });
      sh('ip', ['netns', 'exec', `${NS_PREFIX}${s.name}`, 'bird', '-c', file, '-s', join(work, `bird-${s.name}.ctl`), '-P', join(work, `bird-${s.name}.pid`)]);
      started.push(Number(readFileSync(join(work, `bird-${s.name}.pid`), 'utf8').trim()));
    }
  });

  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    }
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(work, { recursive: true, force: true });
  });

  it('establishes with every node in its listen ranges, each under its own AS, and learns their pod blocks', () => {
    let peers: Record<string, { state: string; remoteAs: number; dynamicPeer?: boolean }> = {};
    const waitingSince = Date.now();
    for (let i = 0; i < 60; i++) {
      peers = (JSON.parse(vtysh('show bgp ipv4 unicast summary json')) as { peers?: typeof peers }).peers ?? {};
      if (peers['10.30.0.11']?.state === 'Established' && peers['10.30.0.41']?.state === 'Established') break;
      sleep(500);
    }
    expect(peers['10.30.0.11']).toMatchObject({ state: 'Established', remoteAs: 65201, dynamicPeer: true });
    expect(peers['10.30.0.41']).toMatchObject({ state: 'Established', remoteAs: 4200000001, dynamicPeer: true });
    process.stdout.write(`frr-bird: both sessions Established ${Date.now() - waitingSince} ms after the daemons started\n`);
    // Wait for the routes to arrive, then read them with their next hops.
    let routes: Record<string, { nexthops: { ip: string }[] }[]> = {};
    for (let i = 0; i < 20 && Object.keys(routes).length < 2; i++) {
      routes = (JSON.parse(vtysh('show bgp ipv4 unicast json')) as { routes?: typeof routes }).routes ?? {};
      sleep(250);
    }
    expect(Object.fromEntries(Object.entries(routes).map(([prefix, paths]) => [prefix, paths.map((p) => p.nexthops[0]!.ip)]))).toEqual({
      '10.244.1.0/26': ['10.30.0.11'],
      '10.244.2.0/26': ['10.30.0.41'],
    });
  });

  it('takes no session from an address outside its ranges, nor from one with the wrong password', () => {
    const peers = (JSON.parse(vtysh('show bgp ipv4 unicast summary json')) as { peers?: Record<string, unknown> }).peers ?? {};
    expect(Object.keys(peers).sort()).toEqual(['10.30.0.11', '10.30.0.41']);
    const birdState = (s: Speaker) => sh('birdc', ['-s', join(work, `bird-${s.name}.ctl`), 'show', 'protocols', 'Global_10_30_0_3']);
    expect(birdState(SPEAKERS[2]!)).not.toContain('Established');
    expect(birdState(SPEAKERS[3]!)).not.toContain('Established');
  });
});
