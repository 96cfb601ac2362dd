// 1. SSH fan-out: one step (`sleep 1`) on N lab hosts at concurrency N, by
// herd's SSH layer, by OpenSSH (`xargs -P N`) and by Ansible (`-m raw`,
// `-m shell`), against the lower bound 1 s + N handshakes' CPU time spread
// over this machine's cores.
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
import { reapedChildrenCpuSeconds, treeCpuSeconds } from './lib/machine.ts';
import { formatSeconds, sample, timed, type Sample } from './lib/stats.ts';

const ENV = 'bfan';
const NET = 88;

export interface FanOutOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
  /** Sequential handshakes whose CPU time gives one handshake's. */
  readonly handshakes: number;
}

interface Tool {
  readonly name: string;
  /** Why this tool cannot run here, or why it failed. */
  missing?: string;
  run(nodes: readonly ClusterNode[]): Promise<void> | void;
}

async function herdFanOut(env: Environment, nodes: readonly ClusterNode[], command: string): Promise<void> {
  const { sessions, close } = await connectAll(env, nodes, sshCredentials(env), { limit: pLimit(nodes.length), onFirstContact: () => undefined });
  try {
    await Promise.all([...sessions.values()].map((s) => s.exec(command, { timeoutMs: 60_000 })));
  } finally {
    close();
  }
}

function opensshArgs(lab: Lab, knownHosts: string): string[] {
  return ['-q', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ControlMaster=no', '-i', lab.keyFile];
}

function ansibleFanOut(work: string, lab: Lab, knownHosts: string, nodes: readonly ClusterNode[], module: 'raw' | 'shell'): void {
  const inventory = join(work, 'inventory.ini');
  writeFileSync(inventory, `[lab]\n${nodes.map((n) => n.address).join('\n')}\n`);
  execFileSync('ansible', ['lab', '-i', inventory, '-m', module, '-a', 'sleep 1', '-f', String(nodes.length), '-u', lab.user, '--private-key', lab.keyFile], {
    env: {
      ...process.env,
      // Ansible's own SSH defaults (one multiplexed connection per host for the run), with a fresh
      // control directory per run so that no run reuses the connections of the one before.
      ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=2s -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
      ANSIBLE_SSH_CONTROL_PATH_DIR: mkdtempSync(join(work, 'cp-')),
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    },
    stdio: 'ignore',
  });
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

export async function fanOutBenchmark(options: FanOutOptions): Promise<string[]> {
  const maxHosts = Math.max(...options.sizes);
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-fanout-'));
  const lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, maxHosts - 1), concurrency: 16 });
  try {
    const file = labEnvironment(ENV, join(work, 'environments'), lab, NET);
    file.write({ controlPlanes: 1, workers: maxHosts - 1 });
    const env = loadEnvironment(join(file.dir, `${ENV}.yaml`));
    const all = computeCluster(env).nodes;
    // Meets every host key once (trust on first use), so that OpenSSH and Ansible check against the same known_hosts.
    await herdFanOut(env, all, 'true');
    const first = all[0]!;
    const ssh = opensshArgs(lab, file.knownHosts);

    const ansibleMissing = spawnSync('ansible', ['--version']).status === 0 ? undefined : 'ansible not installed (`apt-get install ansible-core`)';
    const python = spawnSync('ssh', [...ssh, `${lab.user}@${first.address}`, 'test -x /usr/bin/python3']).status === 0;
    const tools: Tool[] = [
      { name: "herd's SSH layer (ssh2), concurrency N", run: (nodes) => herdFanOut(env, nodes, 'sleep 1') },
      {
        name: 'OpenSSH, `xargs -P N ssh`',
        run: (nodes) => {
          const list = join(work, 'addresses');
          writeFileSync(list, nodes.map((n) => n.address).join('\n'));
          execFileSync('sh', ['-c', `xargs -P ${nodes.length} -I{} ssh ${ssh.map((a) => `'${a}'`).join(' ')} ${lab.user}@{} 'sleep 1' < '${list}'`]);
        },
      },
      { name: 'Ansible `-m raw -f N`', ...(ansibleMissing ? { missing: ansibleMissing } : {}), run: (nodes) => ansibleFanOut(work, lab, file.knownHosts, nodes, 'raw') },
      {
        name: 'Ansible `-m shell -f N`',
        ...(ansibleMissing ? { missing: ansibleMissing } : python ? {} : { missing: 'no /usr/bin/python3 on the lab hosts (the module runs in Python there)' }),
        run: (nodes) => ansibleFanOut(work, lab, file.knownHosts, nodes, 'shell'),
      },
    ];

    const cores = cpus().length;
    const hostPid = lab.host(first.name).pid;
    const ownCpu = (): number => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    };
    const ssh2Handshake = await handshakeCpu(options.handshakes, hostPid, ownCpu, () => herdFanOut(env, [first], 'true'));
    const opensshHandshake = await handshakeCpu(options.handshakes, hostPid, reapedChildrenCpuSeconds, () => {
      execFileSync('ssh', [...ssh, `${lab.user}@${first.address}`, 'true']);
    });
    const handshake = Math.min(ssh2Handshake, opensshHandshake);

    const results = new Map<string, Map<number, Sample>>();
    for (const n of options.sizes) {
      const nodes = all.slice(0, n);
      // One unmeasured run of each tool first: Ansible's first start compiles its Python.
      const attempt = async (tool: Tool): Promise<number | undefined> => {
        try {
          return await timed(() => tool.run(nodes));
        } catch (err) {
          tool.missing = `failed at N = ${n}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
          return undefined;
        }
      };
      if (n === options.sizes[0]) for (const tool of tools) if (!tool.missing) await attempt(tool);
      // Tools take turns within each run, so that a slow spell of the machine hits them alike.
      const runs = new Map<string, number[]>(tools.map((t) => [t.name, []]));
      for (let r = 0; r < options.runs; r++) {
        for (const tool of tools) {
          if (tool.missing) continue;
          const seconds = await attempt(tool);
          if (seconds !== undefined) runs.get(tool.name)!.push(seconds);
        }
      }
      for (const tool of tools) {
        if (tool.missing || runs.get(tool.name)!.length === 0) continue;
        const perSize = results.get(tool.name) ?? new Map<number, Sample>();
        perSize.set(n, sample(runs.get(tool.name)!));
        results.set(tool.name, perSize);
      }
    }

    const bound = (n: number): number => 1 + (n * handshake) / cores;
    const lines = [
      '## 1. SSH fan-out: `sleep 1` on N lab hosts at concurrency N',
      '',
      `Seconds, median (min–max) of ${options.runs} runs; ratio = median / lower bound. The tools take turns within each run.`,
      '',
      `| | ${options.sizes.map((n) => `N = ${n}`).join(' | ')} |`,
      `| --- | ${options.sizes.map(() => '---').join(' | ')} |`,
      `| lower bound: 1 s + N × ${(handshake * 1000).toFixed(1)} ms CPU / ${cores} cores | ${options.sizes.map((n) => bound(n).toFixed(2)).join(' | ')} |`,
      ...tools.map((tool) => {
        const perSize = results.get(tool.name);
        const cell = (n: number): string => {
          const s = perSize?.get(n);
          return s ? `${formatSeconds(s)} = **${(s.median / bound(n)).toFixed(2)}×**` : `not run: ${tool.missing ?? 'no run succeeded'}`;
        };
        return `| ${tool.name} | ${options.sizes.map(cell).join(' | ')} |`;
      }),
      '',
      `One handshake's CPU time h (the client's CPU plus the lab host's process tree, whose sshd reaps every connection, from /proc over ${options.handshakes} sequential connect–auth–\`true\`–close): ` +
        `ssh2 ${(ssh2Handshake * 1000).toFixed(1)} ms, OpenSSH ${(opensshHandshake * 1000).toFixed(1)} ms; the bound uses the cheaper. ` +
        `N handshakes need N times that CPU, which ${cores} cores give in N × h / ${cores} seconds at best, plus the 1 s sleep.`,
      '',
    ];
    return lines;
  } finally {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
