import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { childrenOf } from '../../scripts/lab/processes.ts';
import { statFields } from '../../scripts/system/processes.ts';

function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'not installed';
}

/** The machine the figures were taken on: they mean nothing without it. */
export function describeMachine(): string[] {
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Kernel: Linux ${release()}`,
    `- Node.js ${process.versions.node}, ${firstLine('terraform', ['version'])}, ${sshVersion()}, ${firstLine('ansible', ['--version'])}`,
  ];
}

function sshVersion(): string {
  // `ssh -V` prints to stderr.
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stderr.split(',')[0]!.trim() : 'OpenSSH not installed';
}

const CLOCK_TICKS = 100;

/** utime, stime, cutime, cstime of one process (the last two: its reaped children), in seconds. */
function cpuOf(pid: number | 'self'): { own: number; children: number } {
  const fields = statFields(pid)?.map(Number);
  if (!fields) return { own: 0, children: 0 };
  // utime is field 14 … cstime field 17.
  return { own: (fields[11]! + fields[12]!) / CLOCK_TICKS, children: (fields[13]! + fields[14]!) / CLOCK_TICKS };
}

/**
 * CPU seconds used so far by a process tree: every live process under `pid`
 * and every child they reaped (an sshd listener reaps its connections).
 */
export function treeCpuSeconds(pid: number): number {
  const { own, children } = cpuOf(pid);
  return own + children + childrenOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

/** CPU seconds of the child processes this process started and waited for (spawnSync). */
export function reapedChildrenCpuSeconds(): number {
  return cpuOf('self').children;
}
