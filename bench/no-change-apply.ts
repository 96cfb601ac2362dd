// 3a. A no-change `herd apply` on converged lab clusters at 0, 10 and 50 ms
// round trip, beside what its peers take to read the same hosts: OpenSSH
// (`xargs -P`) and Ansible (`-m raw`) running herd's own probe on every host,
// and Ansible's fact-gathering pass (`-m setup`), the nearest equivalent of
// herd's. The floor: the handshake's and one command's round trips, or N
// handshakes' CPU spread over the cores, whichever is longer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from '../stacks/project.ts';
import type { HandshakeCpu } from './fan-out.ts';
import { roundTripsSeen } from './fan-out.ts';
import { herdApply, timedCommand } from './lib/herd-cli.ts';
import type { LabCluster } from './lib/lab-cluster.ts';
import { EXEC_MIN_ROUND_TRIPS, HANDSHAKE_MIN_ROUND_TRIPS, RTTS_MS, floorSeconds, portFor, startRelays, sweepTable } from './lib/latency.ts';
import { formatSeconds, sample, timed, type Sample } from './lib/stats.ts';
import { ansibleAvailable, ansibleEnv, inventory, opensshArgs } from './lib/tools.ts';

const PROBE = join(PROJECT_DIR, 'scripts/provisioner/probe.sh');

interface Peer {
  readonly name: string;
  missing?: string;
  run(cluster: LabCluster, rttMs: number, work: string): void | Promise<void>;
}

const knownHostsOf = (cluster: LabCluster): string => join(cluster.projectDir, 'stacks', 'environments', 'known_hosts');
const addressesOf = (cluster: LabCluster): string[] => cluster.lab.hosts.slice(0, cluster.workers + 1).map((h) => h.address);

function peers(): Peer[] {
  const missing = ansibleAvailable();
  const probe64 = readFileSync(PROBE).toString('base64');
  const ansible = (cluster: LabCluster, rttMs: number, work: string, module: string, args: string[]): void => {
    const nodes = addressesOf(cluster).map((address) => ({ address }));
    execFileSync('ansible', ['lab', '-i', inventory(work, nodes, portFor(rttMs)), '-m', module, ...args, '-f', String(nodes.length), '-u', cluster.lab.user, '--private-key', cluster.lab.keyFile], {
      env: ansibleEnv(work, knownHostsOf(cluster)),
      stdio: 'ignore',
    });
  };
  return [
    {
      name: "OpenSSH, `xargs -P N ssh`, herd's probe.sh on every host",
      run: (cluster, rttMs) => {
        const ssh = opensshArgs(cluster.lab, knownHostsOf(cluster), portFor(rttMs)).map((a) => `'${a}'`).join(' ');
        const list = addressesOf(cluster).join('\n');
        execFileSync('sh', ['-c', `xargs -P ${cluster.workers + 1} -I{} sh -c "ssh ${ssh} ${cluster.lab.user}@{} 'sudo -n bash -s -- {}' < '${PROBE}' > /dev/null"`], { input: list });
      },
    },
    {
      name: "Ansible `-m raw -f N`, herd's probe.sh on every host",
      ...(missing ? { missing } : {}),
      run: (cluster, rttMs, work) => ansible(cluster, rttMs, work, 'raw', ['-a', `echo ${probe64} | base64 -d | sudo -n bash -s -- {{ inventory_hostname }}`]),
    },
    {
      name: 'Ansible `-m setup -f N` (its own fact gathering)',
      ...(missing ? { missing } : {}),
      run: (cluster, rttMs, work) => ansible(cluster, rttMs, work, 'setup', []),
    },
  ];
}

export interface NoChangeApplyOptions {
  readonly runs: number;
  readonly handshake: HandshakeCpu | undefined;
}

/** Seconds per cluster size and round-trip time, for one converged cluster; the table is noChangeApplyTable's. */
export async function noChangeApplyTimes(cluster: LabCluster, options: NoChangeApplyOptions): Promise<Map<string, Sample>> {
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-nochange-'));
  const results = new Map<string, Sample>();
  try {
    await startRelays(cluster.lab);
    const nodes = cluster.workers + 1;
    const tools: Peer[] = [{ name: '`herd apply` (every host checked, nothing changed)', run: (c) => void herdApply(c.projectDir, c.env) }, ...peers()];
    for (const rttMs of RTTS_MS) {
      cluster.setPort(portFor(rttMs));
      // herd meets the hosts at this port first (trust on first use), then the peers check against what it recorded.
      herdApply(cluster.projectDir, cluster.env);
      for (const tool of tools.slice(1)) {
        try {
          if (!tool.missing) await tool.run(cluster, rttMs, work);
        } catch (err) {
          tool.missing = `failed at ${rttMs} ms: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
        }
      }
      const runs = new Map<string, number[]>(tools.map((t) => [t.name, []]));
      for (let r = 0; r < options.runs; r++) {
        for (const tool of tools) {
          if (tool.missing) continue;
          try {
            runs.get(tool.name)!.push(await timed(() => tool.run(cluster, rttMs, work)));
          } catch (err) {
            tool.missing = `failed at ${rttMs} ms: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
          }
        }
      }
      for (const tool of tools) if (runs.get(tool.name)!.length > 0) results.set(`${tool.name}|${nodes}|${rttMs}`, sample(runs.get(tool.name)!));
    }
    const startup = [];
    for (let r = 0; r < options.runs; r++) startup.push(timedCommand('node', ['bin/herd.mjs', '--help'], cluster.projectDir));
    results.set(`startup|${nodes}`, sample(startup));
    cluster.setPort(22);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function noChangeApplyTable(results: ReadonlyMap<string, Sample>, sizes: readonly number[], options: NoChangeApplyOptions): string[] {
  const tools = [...new Set([...results.keys()].map((k) => k.split('|')[0]!).filter((t) => t !== 'startup'))];
  const h = options.handshake;
  const floor = (n: number, rttMs: number): number => floorSeconds({ hosts: n, handshakeCpuSeconds: h ? Math.min(h.ssh2, h.openssh) : 0, cores: h?.cores ?? 1, rttMs });
  const columns = sizes.flatMap((n) => RTTS_MS.map((rttMs) => ({ n, rttMs })));
  return [
    '## 3a. No-change `herd apply` against its peers reading the same hosts, at 0, 10 and 50 ms round trip',
    '',
    `Seconds, median (min–max) of ${options.runs} runs on converged lab clusters (1 control plane); ratio = median / floor. The tools take turns within each run.`,
    '',
    ...sweepTable({ sizes, tools: tools.map((name) => ({ name })), get: (tool, n, rttMs) => results.get(`${tool}|${n}|${rttMs}`), floor }),
    `| herd's start-up alone (\`herd --help\`: Node.js loading the CLI's bundle) | ${columns.map((c) => (c.rttMs === 0 && results.get(`startup|${c.n}`) ? formatSeconds(results.get(`startup|${c.n}`)!) : '')).join(' | ')} |`,
    '',
    `Floor: the longer of N handshakes' CPU time over the cores (${h ? 'as in section 1' : 'not measured: section 1 did not run, so the floor at 0 ms is 0 and has no ratio'}) and ${HANDSHAKE_MIN_ROUND_TRIPS + EXEC_MIN_ROUND_TRIPS} round trips ` +
      "(the least handshake, then one command: what reading a host's facts needs at least). herd's figure includes its start-up, which its peers' do not have " +
      "to the same degree (ssh and Ansible start in tens and hundreds of milliseconds); a no-change apply is one exchange per host (section 8).",
    '',
    ...roundTripsSeen(tools, sizes, (tool, n, rttMs) => results.get(`${tool}|${n}|${rttMs}`)),
  ];
}
