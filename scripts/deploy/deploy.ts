import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { herdApp } from '../../stacks/app.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { chooseCdkCli, deployEnv, type CdkCliName } from './cdk-cli.ts';
import { RECONCILE, hasInterruptedReconcile, unfinishedMessage, unfinishedWork } from './converged.ts';

/** Where cdktf.json has the CDK CLIs write and read the synthesized stacks (their default). */
export const SYNTH_DIR = join(PROJECT_DIR, 'cdktf.out');

export interface DeployOptions {
  readonly env: string;
  readonly cli?: CdkCliName | undefined;
  readonly autoApprove: boolean;
  readonly write?: (text: string) => void;
}

/** Synthesizes the given environments into cdktf.out/, as `cdktf synth` would, without the CDK CLI. */
export function synthesize(environments: readonly string[] | undefined, environmentsDir?: string): string[] {
  const app = herdApp({ outdir: SYNTH_DIR, ...(environmentsDir === undefined ? {} : { environmentsDir }), ...(environments === undefined ? {} : { environments }) });
  app.synth();
  return app.node.children.map((stack) => stack.node.id);
}

function runCli(path: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { cwd: PROJECT_DIR, env, stdio: 'inherit' });
    // Ctrl-C reaches the CLI through the terminal: let it stop Terraform its own way and report.
    const ignore = (): void => {};
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = (): void => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      done();
      resolve({ code, signal });
    });
  });
}

function terraform(args: readonly string[], stackDir: string, env: NodeJS.ProcessEnv): { ok: boolean; stdout: string; error: string } {
  const r = spawnSync('terraform', args, { cwd: stackDir, env, encoding: 'utf8', maxBuffer: 1024 * 2 ** 20 });
  return { ok: r.error === undefined && r.status === 0, stdout: r.stdout ?? '', error: r.error?.message ?? (r.stderr ?? '').trim() };
}

/**
 * Before the deploy: a reconcile step that an earlier deploy recorded but did
 * not finish (a killed `cdktf deploy`, run through herd or not) is tainted, so
 * that this deploy runs `herd apply` again instead of planning nothing. A
 * stack this checkout never deployed is initialized first, as the CLI would.
 */
function retryInterruptedReconcile(stackDir: string, env: NodeJS.ProcessEnv, name: string, write: (text: string) => void): void {
  if (!existsSync(join(stackDir, '.terraform')) && !terraform(['init', '-input=false', '-no-color'], stackDir, env).ok) return;
  const r = terraform(['state', 'pull'], stackDir, env);
  if (!r.ok || r.stdout.trim() === '' || !hasInterruptedReconcile(JSON.parse(r.stdout) as Record<string, unknown>)) return;
  if (terraform(['taint', '-no-color', RECONCILE], stackDir, env).ok) {
    write(`herd: ${RECONCILE} is in the state without the terraform_data.reconciled that follows a finished \`herd apply ${name}\` (an earlier deploy stopped while it ran, or predates that marker); marked it tainted, so that this deploy runs it again\n`);
  }
}

function pullState(stackDir: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = terraform(['state', 'pull'], stackDir, env);
  if (!r.ok) throw new Error(`the deploy exited 0, but its state could not be read to confirm it finished (terraform state pull in ${stackDir}: ${r.error})`);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}

/**
 * `herd deploy <env>`: synthesize the environment's stack, have the CDK CLI
 * deploy it (Terraform creates the machines and runs `herd apply`), then check
 * Terraform's state against the synthesized configuration, because the CLI
 * exits 0 when Terraform was killed part-way. Returns the exit code.
 */
export async function deploy(options: DeployOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const cli = chooseCdkCli(options.cli);
  synthesize([options.env]);
  const env = deployEnv();
  const stackDir = join(SYNTH_DIR, 'stacks', options.env);
  retryInterruptedReconcile(stackDir, env, options.env, write);
  const args = ['deploy', options.env, '--skip-synth', ...(options.autoApprove ? ['--auto-approve'] : [])];
  const { code, signal } = await runCli(cli.path, args, env);
  if (code !== 0) {
    const exit = signal === null ? (code ?? 1) : 128 + constants.signals[signal];
    write(`herd: ${cli.name} deploy ${options.env} ${signal === null ? `failed (exit ${code})` : `was stopped by ${signal}`}\n`);
    return exit;
  }
  const stack = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>;
  const problems = unfinishedWork(stack, pullState(stackDir, env));
  if (problems.length === 0) return 0;
  // A reconcile saved before its provisioner finished would look done to the next plan: taint it, so that the next deploy runs it again.
  const interrupted = problems.some((p) => p.kind === 'interrupted');
  const tainted = interrupted && terraform(['taint', '-no-color', RECONCILE], stackDir, env).ok;
  const rerun = `npx herd deploy ${options.env}${options.autoApprove ? ' --auto-approve' : ''}`;
  write(`herd: ${unfinishedMessage({ env: options.env, cli: cli.name, problems, rerun, tainted })}\n`);
  return 1;
}
