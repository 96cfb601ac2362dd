// 1. SSH fan-out: one step (`sleep 1`) on N lab hosts at concurrency N, at
// 0, 10 and 50 ms round trip (the lab's latency relay), by herd's SSH layer,
// by OpenSSH (`xargs -P N`) and by Ansible (`-m raw`), against the floor:
// 1 s plus the handshake's and the command's round trips, or N handshakes'
// CPU time spread over this machine's cores, whichever is longer.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { startLab, type Lab } from '../scripts/lab/lab.ts';
import { labEnvironment, labHosts } from '../scripts/lab/environment-file.ts';
import { connectAll, sshCredentials } from '../scripts/provisioner/connect-hosts.ts';
import { loadEnvironment, type Environment } from '../stacks/environment/load.ts';
import { computeCluster, type ClusterNode } from '../stacks/topology/topology.ts';
import { EXEC_MIN_ROUND_TRIPS, HANDSHAKE_MIN_ROUND_TRIPS, RTTS_MS, floorSeconds, portFor, startRelays, sweepTable } from './lib/latency.ts';
import { reapedChildrenCpuSeconds, treeCpuSeconds } from './lib/machine.ts';
import { sample, timed, type Sample } from './lib/stats.ts';
import { ansibleAvailable, ansibleEnv, inventory, opensshArgs } from './lib/tools.ts';

const ENV = 'bfan';
const NET = 88;

export interface FanOutOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
  /** Sequential handshakes whose CPU time gives one handshake's. */
  readonly handshakes: number;
}

/** What a handshake costs this machine's CPU (client and sshd): the floor's other half. */
export interface HandshakeCpu {
  readonly ssh2: number;
  readonly openssh: number;
  readonly cores: number;
}

interface Tool {
  readonly name: string;
  /** Why this tool cannot run here, or why it failed. */
  missing?: string;
  run(nodes: readonly ClusterNode[], rttMs: number): Promise<void> | void;
}

async function herdFanOut(env: Environment, nodes: readonly ClusterNode[], command: string): Promise<void> {
  const { sessions, close } = await connectAll(env, nodes, sshCredentials(env), { limit: pLimit(nodes.length), onFirstContact: () => undefined });
  try {
    await Promise.all([...sessions.values()].map((s) => s.exec(command, { timeoutMs: 60_000 })));
  } finally {
    close();
  }
}

/**
 * CPU seconds of one SSH handshake, client and server together (connect, key
 * exchange, public-key auth, one `true`, close), over `count` sequential
 * connections: the client's own CPU (`clientCpu`) plus the lab host's process
 * tree (its sshd listener reaps every connection's processes).
 */
async function handshakeCpu(count: number, hostPid: number, clientCpu: () => number, connectOnce: () => Promise<void> | void): Promise<number> {
  await connectOnce();
  const client = clientCpu();
  const server = treeCpuSeconds(hostPid);
  for (let i = 0; i < count; i++) await connectOnce();
  return (clientCpu() - client + treeCpuSeconds(hostPid) - server) / count;
}

const ownCpu = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export async function fanOutBenchmark(options: FanOutOptions): Promise<{ lines: string[]; handshake: HandshakeCpu }> {
  const maxHosts = Math.max(...options.sizes);
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-fanout-'));
  const lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, maxHosts - 1), concurrency: 16 });
  try {
    await startRelays(lab);
    // One environment per round-trip time, each with its own known_hosts, met once (trust on first use)
    // so that OpenSSH and Ansible check against what herd recorded.
    const envs = new Map<number, { env: Environment; knownHosts: string }>();
    for (const rttMs of RTTS_MS) {
      const file = labEnvironment(ENV, join(work, `environments-${rttMs}`), lab, NET, { port: portFor(rttMs) });
      file.write({ controlPlanes: 1, workers: maxHosts - 1 });
      const env = loadEnvironment(join(file.dir, `${ENV}.yaml`));
      await herdFanOut(env, computeCluster(env).nodes, 'true');
      envs.set(rttMs, { env, knownHosts: file.knownHosts });
    }
    const all = computeCluster(envs.get(0)!.env).nodes;
    const first = all[0]!;
    const sshFor = (rttMs: number): string[] => opensshArgs(lab, envs.get(rttMs)!.knownHosts, portFor(rttMs));

    const ansibleMissing = ansibleAvailable();
    const tools: Tool[] = [
      { name: "herd's SSH layer (ssh2), concurrency N", run: (nodes, rttMs) => herdFanOut(envs.get(rttMs)!.env, nodes, 'sleep 1') },
      {
        name: 'OpenSSH, `xargs -P N ssh`',
        run: (nodes, rttMs) => {
          const list = join(work, 'addresses');
          writeFileSync(list, nodes.map((n) => n.address).join('\n'));
          execFileSync('sh', ['-c', `xargs -P ${nodes.length} -I{} ssh ${sshFor(rttMs).map((a) => `'${a}'`).join(' ')} ${lab.user}@{} 'sleep 1' < '${list}'`]);
        },
      },
      {
        name: 'Ansible `-m raw -f N`',
        ...(ansibleMissing ? { missing: ansibleMissing } : {}),
        run: (nodes, rttMs) => {
          execFileSync('ansible', ['lab', '-i', inventory(work, nodes, portFor(rttMs)), '-m', 'raw', '-a', 'sleep 1', '-f', String(nodes.length), '-u', lab.user, '--private-key', lab.keyFile], {
            env: ansibleEnv(work, envs.get(rttMs)!.knownHosts),
            stdio: 'ignore',
          });
        },
      },
    ];

    const cores = cpus().length;
    const hostPid = lab.host(first.name).pid;
    const ssh2 = await handshakeCpu(options.handshakes, hostPid, ownCpu, () => herdFanOut(envs.get(0)!.env, [first], 'true'));
    const openssh = await handshakeCpu(options.handshakes, hostPid, reapedChildrenCpuSeconds, () => {
      execFileSync('ssh', [...sshFor(0), `${lab.user}@${first.address}`, 'true']);
    });
    const handshake = { ssh2, openssh, cores };
    const cheaper = Math.min(ssh2, openssh);

    const results = new Map<string, Sample>();
    const key = (tool: string, n: number, rttMs: number): string => `${tool}|${n}|${rttMs}`;
    for (const n of options.sizes) {
      const nodes = all.slice(0, n);
      for (const rttMs of RTTS_MS) {
        const attempt = async (tool: Tool): Promise<number | undefined> => {
          try {
            return await timed(() => tool.run(nodes, rttMs));
          } catch (err) {
            tool.missing = `failed at N = ${n}, ${rttMs} ms: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
            return undefined;
          }
        };
        // One unmeasured run of each tool first: Ansible's first start compiles its Python.
        if (n === options.sizes[0] && rttMs === 0) for (const tool of tools) if (!tool.missing) await attempt(tool);
        // Tools take turns within each run, so that a slow spell of the machine hits them alike.
        const runs = new Map<string, number[]>(tools.map((t) => [t.name, []]));
        for (let r = 0; r < options.runs; r++) {
          for (const tool of tools) {
            if (tool.missing) continue;
            const seconds = await attempt(tool);
            if (seconds !== undefined) runs.get(tool.name)!.push(seconds);
          }
        }
        for (const tool of tools) if (runs.get(tool.name)!.length > 0) results.set(key(tool.name, n, rttMs), sample(runs.get(tool.name)!));
      }
    }

    const floor = (n: number, rttMs: number): number => floorSeconds({ hosts: n, handshakeCpuSeconds: cheaper, cores, rttMs, commandSeconds: 1 });
    const lines = [
      '## 1. SSH fan-out: `sleep 1` on N lab hosts at concurrency N, at 0, 10 and 50 ms round trip',
      '',
      `Seconds, median (min–max) of ${options.runs} runs; ratio = median / floor. The tools take turns within each run; the round trip is the lab's latency relay in front of every host's sshd.`,
      '',
      ...sweepTable({ sizes: options.sizes, tools, get: (tool, n, rttMs) => results.get(key(tool, n, rttMs)), floor }),
      '',
      `Floor: 1 s (the sleep) plus the longer of N handshakes' CPU time over ${cores} cores (one handshake, client and sshd together, from /proc over ${options.handshakes} sequential connect–auth–\`true\`–close: ` +
        `ssh2 ${(ssh2 * 1000).toFixed(1)} ms, OpenSSH ${(openssh * 1000).toFixed(1)} ms; the floor uses the cheaper) and ${HANDSHAKE_MIN_ROUND_TRIPS + EXEC_MIN_ROUND_TRIPS} round trips ` +
        `(the least a handshake takes, ${HANDSHAKE_MIN_ROUND_TRIPS}: TCP, identification and KEXINIT, key exchange, service request, one signed key; then the channel open and the exec request).`,
      '',
      ...roundTripsSeen(tools.map((t) => t.name), options.sizes, (tool, n, rttMs) => results.get(key(tool, n, rttMs))),
    ];
    return { lines, handshake };
  } finally {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Round trips each tool waited for, one after another, as the 0 → 50 ms difference shows them. */
export function roundTripsSeen(tools: readonly string[], sizes: readonly number[], get: (tool: string, n: number, rttMs: number) => Sample | undefined): string[] {
  const far = RTTS_MS[RTTS_MS.length - 1]!;
  const rows = tools.flatMap((tool) => {
    const cells = sizes.map((n) => {
      const [near, away] = [get(tool, n, 0), get(tool, n, far)];
      return near && away ? ((away.median - near.median) / (far / 1000)).toFixed(1) : '–';
    });
    return cells.every((c) => c === '–') ? [] : [`| ${tool} | ${cells.join(' | ')} |`];
  });
  return [
    `Round trips one after another, as (median at ${far} ms − median at 0 ms) / ${far} ms:`,
    '',
    `| | ${sizes.map((n) => `N = ${n}`).join(' | ')} |`,
    `| --- | ${sizes.map(() => '---').join(' | ')} |`,
    ...rows,
    '',
  ];
}
