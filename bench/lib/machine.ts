import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

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
    `- Node.js ${process.versions.node}, ${firstLine('terraform', ['version'])}, OpenSSH ${firstLine('ssh', ['-V']) === 'not installed' ? 'not installed' : sshVersion()}, ${firstLine('ansible', ['--version'])}`,
  ];
}

function sshVersion(): string {
  // `ssh -V` prints to stderr.
  return spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = spawnSync('head', ['-1', '/proc/stat'], { encoding: 'utf8' }).stdout;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = fields.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return busy / 100;
}
