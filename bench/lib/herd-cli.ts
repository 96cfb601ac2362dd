import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';

/** One command, which must succeed: its wall seconds and its output. */
export function runCommand(command: string, args: readonly string[], cwd: string): { seconds: number; out: string } {
  const start = performance.now();
  const r = spawnSync(command, args, { cwd, env: quietTerraformEnv(), encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return { seconds, out: `${r.stdout}\n${r.stderr}` };
}

/** Wall seconds of one command, which must succeed. */
export function timedCommand(command: string, args: readonly string[], cwd: string): number {
  return runCommand(command, args, cwd).seconds;
}

/** `herd apply <env>` as an operator runs it, from `projectDir`. */
export function herdApply(projectDir: string, env: string): number {
  return timedCommand('node', ['bin/herd.mjs', 'apply', env], projectDir);
}
