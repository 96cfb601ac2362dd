// 7. BGP on the lab, with real BIRD on every node and real FRR as the routers:
// the time from `herd apply` starting on fresh hosts to every BGP session it
// verifies being Established, for the quick start's shape (1 + 2, the mesh,
// one router) and for 12 nodes in two racks shaped like prod (an AS and a
// route reflector per rack, two top-of-rack routers per rack, the F5 on the
// reflectors, passwords); and, on the latter, the time a new worker's pod
// block takes to reach the F5 after its `kubeadm join` returned.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { loadEnvironment } from '../stacks/environment/load.ts';
import { quietTerraformEnv } from '../stacks/terraform-cli.ts';
import { startEnvironmentLab } from '../scripts/lab/environment.ts';
import type { Lab } from '../scripts/lab/lab.ts';
import { copyProject } from './lib/project-copy.ts';
import { formatSeconds, sample, type Sample } from './lib/stats.ts';

const PASSWORDS = { BENCH_TOR_PASSWORD: 'bench-tor-password', BENCH_F5_PASSWORD: 'bench-f5-password' };

interface Shape {
  readonly name: string;
  readonly net: number;
  /** Hosts the first apply needs; the next one is the spare a new worker joins on. */
  readonly nodes: number;
  readonly spec: (spare: boolean) => Record<string, unknown>;
}

function common(net: number): Record<string, unknown> {
  return {
    extends: '_defaults.yaml',
    network: { cidr: `198.18.${net}.0/24`, gateway: `198.18.${net}.1`, dnsServers: ['127.0.0.53'] },
    ssh: {
      user: 'herd',
      agent: false,
      privateKeyFile: '../../.herd/lab/id_ed25519',
      connectTimeoutSeconds: 5,
      commandTimeoutSeconds: 120,
      bastion: { host: `127.${net}.0.10`, user: 'herd', privateKeyFile: '../../.herd/lab/id_ed25519' },
    },
  };
}

const host = (name: string, address: string) => ({ name, address });

/** The quick start's lab: one control plane, two workers, the mesh, one router every node peers with. */
const QUICK: Shape = {
  name: 'bgpq',
  net: 85,
  nodes: 3,
  spec: (spare) => ({
    ...common(85),
    infrastructure: { type: 'static', hosts: [host('bgpq-cp-1', '198.18.85.11'), ...[1, 2, 3].map((i) => host(`bgpq-worker-${i}`, `198.18.85.${20 + i}`))] },
    controlPlane: { count: 1, endpoint: { type: 'firstNode' } },
    workerPools: [{ name: 'worker', count: spare ? 3 : 2 }],
    calico: { bgp: { peers: [{ name: 'bgpq-router', address: '198.18.85.2', asNumber: 65001 }] } },
  }),
};

/** prod's shape at 12 nodes: r1 holds 3 control planes (its reflectors) and 4 workers, r2 5 workers (2 reflect). */
const PROD: Shape = {
  name: 'bgpp',
  net: 86,
  nodes: 12,
  spec: (spare) => ({
    ...common(86),
    infrastructure: {
      type: 'static',
      hosts: [
        ...[1, 2, 3].map((i) => host(`bgpp-cp-${i}`, `198.18.86.${10 + i}`)),
        ...[1, 2, 3, 4].map((i) => host(`bgpp-a-${i}`, `198.18.86.${20 + i}`)),
        ...[1, 2, 3, 4, 5, 6].map((i) => host(`bgpp-b-${i}`, `198.18.86.${30 + i}`)),
      ],
    },
    controlPlane: { count: 3, rack: 'r1', endpoint: { type: 'loadBalancer', address: '198.18.86.9' } },
    workerPools: [
      { name: 'a', count: 4, rack: 'r1' },
      { name: 'b', count: spare ? 6 : 5, rack: 'r2' },
    ],
    calico: {
      ipPools: [{ name: 'pods', cidr: '10.244.0.0/16', blockSize: 26, encapsulation: 'None', natOutgoing: false }],
      bgp: {
        nodeToNodeMesh: false,
        routeReflectors: { nodes: ['bgpp-cp-1', 'bgpp-cp-2', 'bgpp-cp-3', 'bgpp-b-1', 'bgpp-b-2'], clusterId: '244.0.0.1' },
        rackAsNumbers: { r1: 65101, r2: 65102 },
        peers: [
          ...['a', 'b'].flatMap((side, i) => [
            { name: `tor-r1-${side}`, address: `198.18.86.${2 + i}`, asNumber: 65001, nodes: { racks: ['r1'] }, passwordFrom: { env: 'BENCH_TOR_PASSWORD' }, nextHopMode: 'Keep' },
            { name: `tor-r2-${side}`, address: `198.18.86.${4 + i}`, asNumber: 65002, nodes: { racks: ['r2'] }, passwordFrom: { env: 'BENCH_TOR_PASSWORD' }, nextHopMode: 'Keep' },
          ]),
          { name: 'f5-bigip', address: '198.18.86.6', asNumber: 65010, nodes: 'routeReflectors', kind: 'loadBalancer', passwordFrom: { env: 'BENCH_F5_PASSWORD' }, nextHopMode: 'Keep' },
        ],
        advertise: { serviceClusterIps: true },
      },
    },
  }),
};

const env = quietTerraformEnv({ ...process.env, ...PASSWORDS });

function herdApply(dir: string, name: string): { started: number; seconds: number } {
  const started = Date.now();
  const t = performance.now();
  const r = spawnSync('node', ['bin/herd.mjs', 'apply', name, '--verify-timeout', '300'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`herd apply ${name} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return { started, seconds: (performance.now() - t) / 1000 };
}

/** When FRR saw its last session come up, by its own timers (ms since the epoch), over every router. */
async function lastEstablished(lab: Lab): Promise<number> {
  let last = 0;
  for (const router of lab.routers) {
    const asked = Date.now();
    const neighbors = JSON.parse(await lab.vtysh(router.name, 'show bgp neighbors json')) as Record<string, { bgpState?: string; bgpTimerUpMsec?: number }>;
    for (const [address, n] of Object.entries(neighbors)) {
      if (n.bgpState !== 'Established' || n.bgpTimerUpMsec === undefined) throw new Error(`${router.name}: ${address} is ${n.bgpState ?? 'unknown'} after herd apply verified`);
      last = Math.max(last, asked - n.bgpTimerUpMsec);
    }
  }
  return last;
}

interface Run {
  readonly apply: number;
  readonly routers: number;
  readonly toF5?: number;
}

async function oneRun(shape: Shape, dir: string, environmentsDir: string, measureJoin: boolean): Promise<Run> {
  const file = join(environmentsDir, `${shape.name}.yaml`);
  writeFileSync(file, stringify(shape.spec(false)));
  rmSync(join(dir, '.herd', shape.name), { recursive: true, force: true });
  const lab = await startEnvironmentLab(loadEnvironment(file), { count: shape.nodes, values: env });
  try {
    const applied = herdApply(dir, shape.name);
    const routers = ((await lastEstablished(lab)) - applied.started) / 1000;
    if (!measureJoin) return { apply: applied.seconds, routers };
    writeFileSync(file, stringify(shape.spec(true)));
    const grown = await startEnvironmentLab(loadEnvironment(file), { count: shape.nodes + 1, values: env });
    const newcomer = grown.hosts.at(-1)!.name;
    const watch = watchF5(grown, newcomer);
    herdApply(dir, shape.name);
    const seenAt = await watch;
    const joined = grown.journal(newcomer).find((e) => e.command === 'kubeadm' && e.argv[0] === 'join' && e.exit === 0);
    if (!joined) throw new Error(`${newcomer} has no successful kubeadm join in its journal`);
    // A journal entry is written when the call returns.
    return { apply: applied.seconds, routers, toF5: (seenAt - Date.parse(joined.time)) / 1000 };
  } finally {
    await lab.stop();
  }
}

/** Resolves with the moment the F5's kernel first routes the node's pod block. */
async function watchF5(lab: Lab, node: string): Promise<number> {
  const deadline = Date.now() + 300_000;
  const ns = lab.routerNetns('f5-bigip').file;
  while (Date.now() < deadline) {
    const cidr = Object.entries(lab.clusterState()?.ipam?.blocks ?? {}).find(([, claim]) => claim.node === node)?.[0];
    if (cidr) {
      const routes = spawnSync('nsenter', [`--net=${ns}`, '--', 'ip', 'route', 'show', 'proto', 'bgp', cidr], { encoding: 'utf8' }).stdout;
      if (routes.includes(cidr)) return Date.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${node}'s pod block never reached the F5`);
}

export async function bgpBenchmark(options: { runs: number; workDir: string }): Promise<string[]> {
  const { dir, environmentsDir } = copyProject(options.workDir);
  const results: { shape: Shape; label: string; apply: Sample; routers: Sample; toF5?: Sample }[] = [];
  for (const [shape, label, measureJoin] of [
    [QUICK, '1 + 2, the mesh, 1 router', false],
    [PROD, '12 nodes in 2 racks (3 + 4 | 5), 4 top-of-rack routers, the F5', true],
  ] as const) {
    const runs: Run[] = [];
    for (let i = 0; i < options.runs; i++) runs.push(await oneRun(shape, dir, environmentsDir, measureJoin));
    results.push({
      shape,
      label,
      apply: sample(runs.map((r) => r.apply)),
      routers: sample(runs.map((r) => r.routers)),
      ...(measureJoin ? { toF5: sample(runs.map((r) => r.toF5!)) } : {}),
    });
  }
  rmSync(dir, { recursive: true, force: true });
  const prod = results.find((r) => r.toF5)!;
  return [
    '## 7. BGP on the lab: real BIRD on every node, real FRR as the routers',
    '',
    `Seconds, median (min–max) of ${options.runs} runs, each on fresh lab hosts. "herd apply" is its wall time, from its start ` +
      'to its verify passing (every external session Established in CalicoNodeStatus); "last session up at the routers" is when FRR’s ' +
      'own timers say the last of them came up, counted from the same start.',
    '',
    '| cluster | herd apply, start to verified | last session up at the routers |',
    '| --- | --- | --- |',
    ...results.map((r) => `| ${r.label} | ${formatSeconds(r.apply, 1)} | ${formatSeconds(r.routers, 1)} |`),
    '',
    `A new r2 worker on the 12-node cluster: its pod block is in the F5’s kernel ${formatSeconds(prod.toF5!, 1)} s after its \`kubeadm join\` returned ` +
      '(calico-node claims the block and starts BIRD once the node is Ready; BIRD’s connect delay is 2 s; the rack’s reflector passes it on).',
    '',
  ];
}
