import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { statFields } from '../../scripts/system/processes.ts';
import { labProject, type LabProject } from './lab-project.ts';

// Issue 18, item 9: Terraform SIGKILLed while the reconcile step runs `herd apply`.
// `cdktf deploy` then prints the outputs and exits 0; `herd deploy` checks the
// state against the synthesized stack and fails, naming what did not finish.
// The environment's shell is a newcomer's: no CHECKPOINT_DISABLE, and a
// TF_CLI_CONFIG_FILE that names a missing file (as on these machines).

const ENV = 'crash';
const NET = 73;
const { CHECKPOINT_DISABLE: _checkpoint, ...inherited } = process.env;
const shellEnv = { ...inherited, TF_CLI_CONFIG_FILE: '/nonexistent/herd-test/terraformrc' };
let copy: LabProject;
const stateFile = (): string => join(copy.dir, '.herd', ENV, 'terraform.tfstate');

const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function processes(): { pid: number; ppid: number; argv: string[] }[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((e) => {
      const pid = Number(e);
      const ppid = Number(statFields(pid)?.[1]);
      try {
        return [{ pid, ppid, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') }];
      } catch {
        return [];
      }
    });
}

/** Every process below root, found by parent PID (Terraform is Go: its children hang off any of its threads). */
function descendants(root: number): { pid: number; argv: string[] }[] {
  const all = processes();
  const out: { pid: number; argv: string[] }[] = [];
  const walk = (pid: number): void => {
    for (const p of all.filter((q) => q.ppid === pid)) {
      out.push(p);
      walk(p.pid);
    }
  };
  walk(root);
  return out;
}

const alive = (pid: number): boolean => statFields(pid) !== undefined && statFields(pid)?.[0] !== 'Z';

/**
 * Runs a deploy and SIGKILLs its `terraform apply` once the reconcile step's
 * `herd apply` runs; waits for that orphaned `herd apply` to end too.
 */
async function deployKilledDuringReconcile(command: string, args: string[]): Promise<{ status: number | null; out: string }> {
  const child = spawn(command, args, { cwd: copy.dir, env: shellEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  let reconcile: { terraform: number; herdApply: number } | undefined;
  while (reconcile === undefined && Date.now() < deadline) {
    const tree = descendants(child.pid!);
    const apply = tree.find((p) => p.argv.includes('bin/herd.mjs') && p.argv.includes('apply'));
    const terraform = tree.find((p) => p.argv[0]?.endsWith('terraform') && p.argv.includes('apply'));
    if (apply !== undefined && terraform !== undefined) reconcile = { terraform: terraform.pid, herdApply: apply.pid };
    else await sleep(100);
  }
  expect(reconcile, `the reconcile step never started:\n${plain(out)}`).toBeDefined();
  process.kill(reconcile!.terraform, 'SIGKILL');
  const status = await exited;
  while (alive(reconcile!.herdApply) && Date.now() < deadline) await sleep(200);
  return { status, out: plain(out) };
}

/** Resources with at least one instance in the state (Terraform records a resource it began to create with none). */
function recordedAddresses(): string[] {
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as { resources: { type: string; name: string; instances: unknown[] }[] };
  return state.resources.filter((r) => r.instances.length > 0).map((r) => `${r.type}.${r.name}`);
}

function reconcileStatus(): string | undefined {
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as { resources: { name: string; instances: { status?: string }[] }[] };
  return state.resources.find((r) => r.name === 'reconcile')?.instances[0]?.status;
}

beforeAll(async () => {
  copy = await labProject(ENV, NET, 1);
}, 120_000);

afterAll(async () => {
  await copy?.stop();
});

describe('a deploy whose terraform is SIGKILLed during the reconcile step', () => {
  it('npx herd deploy exits 1 and says what did not finish', async () => {
    const r = await deployKilledDuringReconcile('node', ['bin/herd.mjs', 'deploy', ENV, '--auto-approve']);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain(`herd: terraform apply ${ENV} was stopped by SIGKILL: the deploy did not finish; \`herd apply ${ENV}\` did not finish.`);
    expect(r.out).toContain(`Run \`npx herd deploy ${ENV} --auto-approve\` again: it finishes the work.`);
    expect(recordedAddresses()).not.toContain('terraform_data.reconciled');
    // Whether Terraform had saved the reconcile resource before the kill depends on when it last wrote its state.
    if (recordedAddresses().includes('terraform_data.reconcile')) {
      expect(r.out).toContain('  terraform_data.reconcile: recorded as created, but its provisioner did not finish');
      expect(r.out).toContain('herd marked terraform_data.reconcile tainted, so that the next deploy runs `herd apply crash` again.');
      expect(reconcileStatus()).toBe('tainted');
    } else {
      expect(r.out).toContain('  terraform_data.reconcile: not in the state: its create did not complete');
    }
  }, 180_000);

  it('npx cdktf deploy, run directly, exits 0 in the same case (the behaviour docs/deploying.md describes)', async () => {
    const r = await deployKilledDuringReconcile('npx', ['cdktf', 'deploy', ENV, '--auto-approve']);
    expect(r.status, r.out).toBe(0);
    expect(recordedAddresses()).not.toContain('terraform_data.reconciled');
  }, 180_000);

  it('the next npx herd deploy finishes the work, and one more changes nothing and prints nothing alarming', () => {
    const run = (): { status: number | null; out: string } => {
      const r = spawnSync('node', ['bin/herd.mjs', 'deploy', ENV, '--auto-approve'], { cwd: copy.dir, env: shellEnv, encoding: 'utf8' });
      return { status: r.status, out: plain(`${r.stdout}\n${r.stderr}`) };
    };
    const interrupted = recordedAddresses().includes('terraform_data.reconcile') && reconcileStatus() !== 'tainted';
    const repair = run();
    expect(repair.status, repair.out).toBe(0);
    if (interrupted) expect(repair.out).toContain('marked it tainted, so that this deploy runs it again');
    expect(repair.out).toContain(`[${ENV}-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok`);
    expect(recordedAddresses()).toEqual(expect.arrayContaining(['terraform_data.reconcile', 'terraform_data.reconciled']));

    const again = run();
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain('No changes. Your infrastructure matches the configuration.');
    expect(again.out).not.toMatch(/warning|error|ENOTFOUND|checkpoint|Unable to open CLI configuration|deprecat/i);
  }, 240_000);
});
