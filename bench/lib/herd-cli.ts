import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { reapedChildrenCpuSeconds } from './machine.ts';

/** One command, which must succeed: its wall seconds, the CPU seconds it and its children used here, and its output. */
export function runCommand(command: string, args: readonly string[], cwd: string): { seconds: number; cpuSeconds: number; out: string } {
  const cpu = reapedChildrenCpuSeconds();
  const start = performance.now();
  const r = spawnSync(command, args, { cwd, env: quietTerraformEnv(), encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return { seconds, cpuSeconds: reapedChildrenCpuSeconds() - cpu, out: `${r.stdout}\n${r.stderr}` };
}

/** Wall seconds of one command, which must succeed. */
export function timedCommand(command: string, args: readonly string[], cwd: string): number {
  return runCommand(command, args, cwd).seconds;
}

/** `herd apply <env> [flags]` as an operator runs it, from `projectDir`: its wall seconds. */
export function herdApply(projectDir: string, env: string, flags: readonly string[] = []): number {
  return herdApplyRun(projectDir, env, flags).seconds;
}

/** `herd apply`, with its CPU seconds on this machine and its log directory (round-trips.json). */
export function herdApplyRun(projectDir: string, env: string, flags: readonly string[] = []): { seconds: number; cpuSeconds: number; logDir: string } {
  const r = runCommand('node', ['bin/herd.mjs', 'apply', env, ...flags], projectDir);
  const logDir = /^logs: (.+)$/m.exec(r.out)?.[1];
  if (logDir === undefined) throw new Error(`herd apply printed no log directory:\n${r.out.slice(-2000)}`);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, logDir: resolve(projectDir, logDir) };
}
