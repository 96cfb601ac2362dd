import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { herdApp } from '../../stacks/app.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { operatorTerraformEnv } from '../../stacks/terraform-cli.ts';
import { chooseCdkCli, type CdkCliName } from './cdk-cli.ts';
import { RECONCILE, hasInterruptedReconcile, unfinishedMessage, unfinishedWork } from './unfinished.ts';

/** Where cdktf.json has the CDK CLIs write and read the synthesized stacks (their default). */
export const SYNTH_DIR = join(PROJECT_DIR, 'cdktf.out');

/** What runs Terraform on the synthesized stack: Terraform itself (the default), or a CDK CLI. */
export type DeployRunner = 'terraform' | CdkCliName;

export interface DeployOptions {
  readonly env: string;
  readonly cli?: DeployRunner | undefined;
  readonly autoApprove: boolean;
  readonly write?: (text: string) => void;
}

/** Synthesizes the given environments into cdktf.out/, as `cdktf synth` would, without the CDK CLI. */
export function synthesize(environments: readonly string[] | undefined, environmentsDir?: string): string[] {
  const app = herdApp({ outdir: SYNTH_DIR, ...(environmentsDir === undefined ? {} : { environmentsDir }), ...(environments === undefined ? {} : { environments }) });
  app.synth();
  return app.node.children.map((stack) => stack.node.id);
}

function runCli(path: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { cwd, env, stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal: let it stop Terraform its own way and report.
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
 * that this deploy runs `herd apply` again instead of planning nothing.
 */
function retryInterruptedReconcile(stackDir: string, env: NodeJS.ProcessEnv, name: string, write: (text: string) => void): void {
  const r = terraform(['state', 'pull'], stackDir, env);
  if (!r.ok || r.stdout.trim() === '' || !hasInterruptedReconcile(JSON.parse(r.stdout) as Record<string, unknown>)) return;
  if (terraform(['taint', '-no-color', RECONCILE], stackDir, env).ok) {
    write(`herd: ${RECONCILE} is in the state without the terraform_data.reconciled that follows a finished \`herd apply ${name}\` (an earlier deploy stopped while it ran, or predates that marker); marked it tainted, so that this deploy runs it again\n`);
  }
}

/** Where herd records what the stack's working directory was last initialized for. */
const INIT_RECORD = join('.terraform', 'herd-initialized-for.sha256');

/**
 * `terraform init`, when the stack's working directory has not been
 * initialized for its backend and providers (the synthesized `terraform`
 * block) yet: once per change of either, instead of on every deploy as the
 * CDK CLIs run it. Its output is shown only when it fails.
 */
function ensureInitialized(stackDir: string, stack: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const wanted = createHash('sha256').update(JSON.stringify(stack['terraform'] ?? {})).digest('hex');
  const record = join(stackDir, INIT_RECORD);
  if (existsSync(record) && readFileSync(record, 'utf8').trim() === wanted) return;
  const r = terraform(['init', '-input=false', '-no-color'], stackDir, env);
  if (!r.ok) throw new Error(`terraform init in ${stackDir} failed:\n${r.stdout}${r.error}`.trim());
  writeFileSync(record, `${wanted}\n`);
}

function pullState(stackDir: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = terraform(['state', 'pull'], stackDir, env);
  if (!r.ok) throw new Error(`the deploy's state could not be read to confirm it finished (terraform state pull in ${stackDir}: ${r.error})`);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}

/** How the runner ended, in words, and the exit code herd passes on. */
function ending(runner: string, env: string, code: number | null, signal: NodeJS.Signals | null): { words: string; exit: number } {
  if (signal !== null) return { words: `${runner} ${env} was stopped by ${signal}`, exit: 128 + constants.signals[signal] };
  return { words: code === 0 ? `${runner} ${env} exited 0` : `${runner} ${env} failed (exit ${code})`, exit: code ?? 1 };
}

/**
 * `herd deploy <env>`: synthesize the environment's stack, have Terraform (or
 * a CDK CLI) apply it (Terraform creates the machines and runs `herd apply`),
 * then check Terraform's state against the synthesized configuration, because
 * a CDK CLI exits 0 when Terraform was killed part-way, and a killed
 * Terraform may leave a reconcile step recorded as done. Returns the exit code.
 */
export async function deploy(options: DeployOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const runner = options.cli ?? 'terraform';
  const cli = runner === 'terraform' ? undefined : chooseCdkCli(runner);
  synthesize([options.env]);
  const env = operatorTerraformEnv();
  const stackDir = join(SYNTH_DIR, 'stacks', options.env);
  const stack = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>;
  ensureInitialized(stackDir, stack, env);
  retryInterruptedReconcile(stackDir, env, options.env, write);
  const { code, signal } =
    cli === undefined
      ? await runCli('terraform', ['apply', ...(options.autoApprove ? ['-auto-approve', '-input=false'] : [])], env, stackDir)
      : await runCli(cli.path, ['deploy', options.env, '--skip-synth', ...(options.autoApprove ? ['--auto-approve'] : [])], env, PROJECT_DIR);
  const what = cli === undefined ? 'terraform apply' : `${cli.name} deploy`;
  const ended = ending(what, options.env, code, signal);
  // Terraform exits 0 only once everything is applied; a runner that failed said why.
  if (code === 0 && cli === undefined) return 0;
  if (signal === null && code !== 0) {
    write(`herd: ${ended.words}\n`);
    return ended.exit;
  }
  // A CDK CLI's 0, or a runner stopped by a signal: Terraform's state says whether the deploy finished.
  const problems = unfinishedWork(stack, pullState(stackDir, env));
  if (problems.length === 0) {
    if (signal === null) return 0;
    write(`herd: ${ended.words}\n`);
    return ended.exit;
  }
  // A reconcile saved before its provisioner finished would look done to the next plan: taint it, so that the next deploy runs it again.
  const interrupted = problems.some((p) => p.kind === 'interrupted');
  const tainted = interrupted && terraform(['taint', '-no-color', RECONCILE], stackDir, env).ok;
  const rerun = `npx herd deploy ${options.env}${options.autoApprove ? ' --auto-approve' : ''}`;
  write(`herd: ${unfinishedMessage({ env: options.env, ended: ended.words, reportsSuccess: code === 0 ? what : undefined, problems, rerun, tainted })}\n`);
  return 1;
}
