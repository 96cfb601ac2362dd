import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { copyProject } from '../../bench/lib/project-copy.ts';
import { herdApp } from '../../stacks/app.ts';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { sessionsInsideCluster } from '../../stacks/topology/cluster-sessions.ts';
import { nodesPeeringWith } from '../../templates/peer-view.ts';
import { labRouters, startEnvironmentLab } from '../../scripts/lab/environment.ts';
import type { Lab, RouterSpec } from '../../scripts/lab/lab.ts';
import { inNetns, waitFor } from '../lab/helpers.ts';

// prod's BGP topology on the lab, deployed through cdktf: two racks with their
// own AS numbers and a route reflector each, two top-of-rack routers per rack
// and an F5 on the reflectors, every one of them a real FRR loaded with what
// `herd peers` renders, every node's BGP a real BIRD. Passwords on every
// session, service address advertisement, a BGPFilter on the racks' routers,
// the mesh off (test/stacks/fixtures/bgprod.yaml: fabric 198.18.41.0/24,
// bastion 127.41.0.10).

const ENV = 'bgprod';
const passwords = { BGPROD_TOR_PASSWORD: 'bgprod-tor-canary-4c1e', BGPROD_F5_PASSWORD: 'bgprod-f5-canary-9a07' };
const project = mkdtempSync(join(tmpdir(), 'herd-bgp-'));
const { environmentsDir } = copyProject(project);
const file = join(environmentsDir, `${ENV}.yaml`);
const stackDir = join(project, 'cdktf.out', 'stacks', ENV);
const runEnv = quietTerraformEnv({ ...process.env, ...passwords });
const SERVICES = { clusterIps: '10.96.0.0/12', loadBalancerIps: '10.41.0.0/24', externalIps: '10.41.1.0/24' };
const SETTLE_MS = 30_000;
const RACKS: Record<string, readonly string[]> = { 'tor-r1-a': ['r1'], 'tor-r1-b': ['r1'], 'tor-r2-a': ['r2'], 'tor-r2-b': ['r2'] };

let lab: Lab;

const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
const environment = () => loadEnvironment(file);

function run(command: string, args: readonly string[], cwd = project): { status: number | null; out: string; seconds: number } {
  const started = performance.now();
  const r = spawnSync(command, args, { cwd, env: runEnv, encoding: 'utf8' });
  return { status: r.status, out: plain(`${r.stdout}\n${r.stderr}`), seconds: (performance.now() - started) / 1000 };
}

const herdApply = (verifySeconds: number) => run('node', ['bin/herd.mjs', 'apply', ENV, '--verify-timeout', String(verifySeconds)]);

function setPoolCount(pool: string, count: number): void {
  const doc = parse(readFileSync(file, 'utf8')) as { workerPools: { name: string; count: number }[] };
  doc.workerPools.find((p) => p.name === pool)!.count = count;
  writeFileSync(file, stringify(doc));
  herdApp({ outdir: join(project, 'cdktf.out'), environmentsDir, environments: [ENV] }).synth();
}

/** The pod blocks the cluster's IPAM handed out: CIDR → node. */
function blocks(): Map<string, string> {
  return new Map(Object.entries(lab.clusterState()?.ipam?.blocks ?? {}).map(([cidr, claim]) => [cidr, claim.node]));
}

/** Each node's pod addresses, as its calico-node reported them. */
function pods(): Map<string, readonly string[]> {
  return new Map(Object.entries(lab.clusterState()?.calicoNodes ?? {}).map(([node, report]) => [node, report.pods]));
}

/** A router's BGP routes in its kernel: prefix → next hops. */
async function kernelRoutes(router: string): Promise<Map<string, string[]>> {
  const routes = JSON.parse(await inNetns(lab.routerNetns(router), 'ip -j route show proto bgp')) as { dst: string; gateway?: string; nexthops?: { gateway: string }[] }[];
  return new Map(routes.map((r) => [r.dst, r.nexthops?.map((n) => n.gateway) ?? (r.gateway ? [r.gateway] : [])]));
}

/** FRR's own view of its sessions (`show bgp summary json`): neighbor address → state. */
async function frrSessions(router: string): Promise<Map<string, string>> {
  const summary = JSON.parse(await lab.vtysh(router, 'show bgp summary json')) as { ipv4Unicast?: { peers?: Record<string, { state: string }> } };
  return new Map(Object.entries(summary.ipv4Unicast?.peers ?? {}).map(([address, peer]) => [address, peer.state]));
}

/** Each node's sessions as its calico-node reports them in CalicoNodeStatus (what verify reads): "node→peer" → state. */
function reportedSessions(): Map<string, string> {
  return new Map(
    Object.entries(lab.clusterState()?.calicoNodes ?? {}).flatMap(([node, report]) =>
      ((report.status['bgp'] as { peersV4?: { peerIP: string; state?: string }[] } | undefined)?.peersV4 ?? []).map((p) => [`${node}→${p.peerIP}`, p.state ?? '?'] as const),
    ),
  );
}

/** Whether the node's TCP session with the peer carries an MD5 key (ss shows the keys' addresses; the test never prints them). */
async function md5OnNodeSide(node: string, peer: string): Promise<boolean> {
  const ss = await inNetns(lab.netns(node), 'ss -tnie state established');
  const sockets = ss.split(/\n(?=\S)/).filter((s) => s.includes(` ${peer}:`) || s.includes(`${peer}:179`));
  return sockets.length > 0 && sockets.every((s) => s.includes(`md5keys:${peer}/32`));
}

async function ping(router: string, address: string): Promise<boolean> {
  return inNetns(lab.routerNetns(router), `ping -c 1 -W 2 ${address} >/dev/null`).then(
    () => true,
    () => false,
  );
}

/**
 * Runs the router's checks until they pass, for at most SETTLE_MS, failing
 * with their last error. Verify waits for sessions Established; a route may
 * still be crossing a reflector then, so routes get a bounded time to arrive.
 */
async function settled(router: string, checks: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await vi.waitFor(checks, { timeout: SETTLE_MS, interval: 250 });
  const seconds = (performance.now() - started) / 1000;
  if (seconds > 0.5) console.log(`measured: ${router}'s routes settled ${seconds.toFixed(1)} s after the test began looking`);
}

const addressOf = (node: string): string => lab.host(node).address;
const rackOf = (node: string): string | undefined => computeCluster(environment()).nodes.find((n) => n.name === node)?.rack;

beforeAll(async () => {
  copyFileSync(join(import.meta.dirname, 'fixtures', `${ENV}.yaml`), file);
  // The first four hosts: bgprod-cp-1 and -a-1 in r1, -b-1 and -b-2 in r2; bgprod-b-3 is the spare.
  lab = await startEnvironmentLab(environment(), { count: 4, values: runEnv });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(project, { recursive: true, force: true });
});

describe('prod’s BGP on the lab', () => {
  it('deploys through cdktf deploy; every session herd verifies is Established', () => {
    const r = run('npx', ['cdktf', 'deploy', ENV, '--auto-approve']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('[bgprod-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok');
    console.log(`measured: cdktf deploy of ${ENV} (1 + 3 nodes, 5 routers) from nothing to verified BGP: ${r.seconds.toFixed(1)} s`);
    const sessions = reportedSessions();
    for (const peer of environment().spec.calico.bgp.peers) {
      for (const node of nodesPeeringWith(computeCluster(environment()), peer)) expect(sessions.get(`${node.name}→${peer.address}`), `${node.name}→${peer.name}`).toBe('Established');
    }
    // Inside the cluster: each rack's reflector with the rack's other nodes, and the reflectors of different racks (AS) not at all.
    const inside = sessionsInsideCluster(computeCluster(environment())).map((s) => `${s.node.name}→${s.peer.address}`);
    expect(inside.sort()).toEqual(['bgprod-a-1→198.18.41.11', 'bgprod-b-1→198.18.41.32', 'bgprod-b-2→198.18.41.31', 'bgprod-cp-1→198.18.41.21']);
    for (const session of inside) expect(sessions.get(session), session).toBe('Established');
  }, 240_000);

  it('FRR’s show bgp summary agrees session for session, with MD5 on both sides', async () => {
    const cluster = computeCluster(environment());
    const reported = reportedSessions();
    for (const peer of environment().spec.calico.bgp.peers) {
      const expected = nodesPeeringWith(cluster, peer).map((n) => n.address).sort();
      const frr = await frrSessions(peer.name);
      expect([...frr].filter(([, state]) => state === 'Established').map(([address]) => address).sort(), peer.name).toEqual(expected);
      // No other session on either side: FRR has no neighbor beyond these, no node reports one to this peer beyond these.
      expect([...frr.keys()].sort(), peer.name).toEqual(expected);
      expect(cluster.nodes.filter((n) => reported.has(`${n.name}→${peer.address}`)).map((n) => n.address).sort(), peer.name).toEqual(expected);
      const neighbors = JSON.parse(await lab.vtysh(peer.name, 'show bgp neighbors json')) as Record<string, { authenticationEnabled?: number }>;
      for (const address of expected) {
        expect(neighbors[address]?.authenticationEnabled, `${peer.name}: MD5 toward ${address}`).toBe(1);
        const node = cluster.nodes.find((n) => n.address === address)!.name;
        expect(await md5OnNodeSide(node, peer.address), `${node}: MD5 toward ${peer.name}`).toBe(true);
      }
    }
  });

  it('the F5 holds every node’s pod block with that node as next hop, and reaches a pod on every node', async () => {
    expect(blocks().size).toBe(4);
    await settled('f5-bigip', async () => {
      const routes = await kernelRoutes('f5-bigip');
      for (const [cidr, node] of blocks()) expect(routes.get(cidr), `${cidr} of ${node}`).toEqual([addressOf(node)]);
    });
    for (const [node, addresses] of pods()) for (const pod of addresses) expect(await ping('f5-bigip', pod), `f5-bigip → ${pod} on ${node}`).toBe(true);
  });

  it('each top-of-rack router holds its rack’s pod blocks with the node as next hop, reaches their pods, and has none of the other rack', async () => {
    for (const [router, racks] of Object.entries(RACKS)) {
      const own = [...blocks()].filter(([, node]) => racks.includes(rackOf(node) ?? ''));
      await settled(router, async () => {
        const routes = await kernelRoutes(router);
        for (const [cidr, node] of own) expect(routes.get(cidr), `${router}: ${cidr} of ${node}`).toEqual([addressOf(node)]);
      });
      for (const [, node] of own) for (const pod of pods().get(node) ?? []) expect(await ping(router, pod), `${router} → ${pod}`).toBe(true);
      const routes = await kernelRoutes(router);
      for (const [cidr, node] of blocks()) if (!own.some(([c]) => c === cidr)) expect(routes.has(cidr), `${router}: ${cidr} of ${node} (another rack)`).toBe(false);
    }
  });

  it('advertises the service ranges to the routers that should have them, and a BGPFilter’s reject keeps the external IPs off the racks’ routers', async () => {
    await settled('f5-bigip', async () => {
      const f5 = await kernelRoutes('f5-bigip');
      for (const cidr of Object.values(SERVICES)) expect(f5.has(cidr), `f5-bigip: ${cidr}`).toBe(true);
    });
    for (const router of Object.keys(RACKS)) {
      await settled(router, async () => {
        const routes = await kernelRoutes(router);
        expect(routes.has(SERVICES.clusterIps), `${router}: ${SERVICES.clusterIps}`).toBe(true);
        expect(routes.has(SERVICES.loadBalancerIps), `${router}: ${SERVICES.loadBalancerIps}`).toBe(true);
      });
      const routes = await kernelRoutes(router);
      // only-pods-and-services ends in Reject: the external IPs never leave the nodes toward these routers.
      expect(routes.has(SERVICES.externalIps), `${router}: ${SERVICES.externalIps}`).toBe(false);
    }
  });

  it('a wrong password on one router fails verify, naming each node, the peer and the session state; the right one converges', async () => {
    const tor = labRouters(environment(), runEnv).find((r) => r.name === 'tor-r1-a')!;
    const wrong: RouterSpec = { ...tor, secrets: { BGPROD_TOR_PASSWORD: 'not-the-cluster-password' } };
    expect(await lab.startRouters([wrong])).toEqual({ 'tor-r1-a': 'reloaded' });
    const failed = herdApply(10);
    expect(failed.status, failed.out).not.toBe(0);
    expect(failed.out).toMatch(/BGP to tor-r1-a \(198\.18\.41\.2\) not Established from bgprod-cp-1 \((Idle|Connect|Active|OpenSent|OpenConfirm)\), bgprod-a-1 \((Idle|Connect|Active|OpenSent|OpenConfirm)\)/);
    expect(failed.out).not.toContain('BGP to tor-r1-b');
    expect(failed.out).not.toContain(passwords.BGPROD_TOR_PASSWORD);
    expect(await lab.startRouters([tor])).toEqual({ 'tor-r1-a': 'reloaded' });
    const fixed = herdApply(60);
    expect(fixed.status, fixed.out).toBe(0);
    expect(fixed.out).toContain('verify: check the API, nodes Ready, BGP sessions Established (read-only) ok');
  }, 180_000);

  it('+1 worker: its pod block reaches the F5 and its rack’s routers with no change to any router; −1 withdraws it', async () => {
    const before = new Map(await Promise.all(lab.routers.map(async (r) => [r.name, { loads: lab.routerRecord(r.name).loads, config: await lab.vtysh(r.name, 'show running-config') }] as const)));
    const rendered = labRouters(environment(), runEnv);
    setPoolCount('b', 3);
    // The network team has nothing to do: herd peers prints the same files for the larger cluster.
    expect(labRouters(environment(), runEnv)).toEqual(rendered);
    lab = await startEnvironmentLab(environment(), { count: 5, values: runEnv });

    // The block appears at the F5 while Terraform deploys; note when.
    let seenAt: number | undefined;
    const watching = (async () => {
      for (;;) {
        const cidr = [...blocks()].find(([, node]) => node === 'bgprod-b-3')?.[0];
        if (cidr && (await kernelRoutes('f5-bigip')).has(cidr)) return (seenAt = Date.now());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env: runEnv });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (status) => resolve({ status, out }));
    });
    expect(r.status, r.out).toBe(0);
    await Promise.race([watching, waitFor('bgprod-b-3’s block at the F5', () => seenAt !== undefined, 30_000)]);
    const joined = lab.journal('bgprod-b-3').find((e) => e.command === 'kubeadm' && e.argv[0] === 'join' && e.exit === 0);
    expect(joined).toBeDefined();
    // A journal entry is written when the call returns.
    const joinedAt = Date.parse(joined!.time);
    console.log(`measured: bgprod-b-3's pod block at the F5 ${((seenAt! - joinedAt) / 1000).toFixed(1)} s after its kubeadm join returned`);

    const [cidr] = [...blocks()].find(([, node]) => node === 'bgprod-b-3')!;
    for (const router of ['f5-bigip', 'tor-r2-a', 'tor-r2-b']) expect((await kernelRoutes(router)).get(cidr), `${router}: ${cidr}`).toEqual([addressOf('bgprod-b-3')]);
    for (const router of ['tor-r1-a', 'tor-r1-b']) expect((await kernelRoutes(router)).has(cidr), `${router}: ${cidr}`).toBe(false);
    for (const [name, was] of before) {
      expect(lab.routerRecord(name).loads, `${name} loaded again`).toBe(was.loads);
      expect(await lab.vtysh(name, 'show running-config'), `${name}'s configuration`).toBe(was.config);
    }

    setPoolCount('b', 2);
    const down = run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], stackDir);
    expect(down.status, down.out).toBe(0);
    expect(down.out).toContain('[bgprod-cp-1] bgprod-b-3 drained and deleted');
    for (const router of ['f5-bigip', 'tor-r2-a', 'tor-r2-b']) await waitFor(`${cidr} withdrawn from ${router}`, async () => !(await kernelRoutes(router)).has(cidr), 20_000);
  }, 240_000);

  it('a kill -9 of BIRD is reported, and calico-node starts it again', async () => {
    const node = 'bgprod-b-2';
    const pid = lab.readFile(node, '/run/calico/bird.pid').trim();
    await lab.exec(node, `kill -9 ${pid}`);
    await waitFor(`${node}'s calico-node to notice`, () => lab.readFile(node, '/var/log/calico/calico-node.log').includes(`BIRD (pid ${pid}) exited (SIGKILL)`), 10_000);
    // A status reported before the kill may still say Established: the new BIRD's pid file comes first.
    const birdPid = (): string => {
      try {
        return lab.readFile(node, '/run/calico/bird.pid').trim();
      } catch {
        return '';
      }
    };
    await waitFor(`${node}'s new BIRD`, () => !['', pid].includes(birdPid()), 15_000);
    await waitFor(`${node}'s sessions back`, () => ['198.18.41.4', '198.18.41.5'].every((peer) => reportedSessions().get(`${node}→${peer}`) === 'Established'), 30_000);
  }, 60_000);

  it('verify reports a node whose BIRD keeps dying, naming its sessions; once it stays up, the next apply converges', async () => {
    const node = 'bgprod-b-2';
    // kill -9 whichever BIRD runs, five times a second, until stopped: a BIRD that dies as soon as it starts.
    const killer = await lab.exec(node, 'nohup bash -c \'while :; do kill -9 "$(cat /var/run/calico/bird.pid 2>/dev/null)" 2>/dev/null; sleep 0.2; done\' >/dev/null 2>&1 & echo $!');
    try {
      const failed = herdApply(5);
      expect(failed.status, failed.out).not.toBe(0);
      expect(failed.out).toMatch(/BGP to tor-r2-a \(198\.18\.41\.4\) not Established from bgprod-b-2 \((no session: the node's BIRD is not running|Idle|Connect|Active|OpenSent|OpenConfirm)\)/);
      expect(failed.out).toMatch(/BGP to tor-r2-b \(198\.18\.41\.5\) not Established from bgprod-b-2 \(/);
      // Its reflector's session with it, from both ends: without it the F5 has no route to bgprod-b-2's pods.
      expect(failed.out).toMatch(/BGP to route reflector bgprod-b-1 \(198\.18\.41\.31\) not Established from bgprod-b-2 \(/);
      expect(failed.out).toMatch(/BGP to node bgprod-b-2 \(198\.18\.41\.32\) not Established from bgprod-b-1 \((Idle|Connect|Active|OpenSent|OpenConfirm)\)/);
    } finally {
      await lab.exec(node, `kill ${killer.stdout.trim()}`);
    }
    const fixed = herdApply(60);
    expect(fixed.status, fixed.out).toBe(0);
  }, 120_000);

  it('no password reached a file of the lab, the project, or the output', () => {
    const found = spawnSync('grep', ['-rlF', '-e', passwords.BGPROD_TOR_PASSWORD, '-e', passwords.BGPROD_F5_PASSWORD, project], { encoding: 'utf8' });
    expect(found.stdout).toBe('');
    expect(found.status).toBe(1);
  });
});
