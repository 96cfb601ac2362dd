import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Environment } from '../../../stacks/environment/load.ts';
import type { Cluster, ClusterNode } from '../../../stacks/topology/topology.ts';
import { MACHINES_OUTPUT } from '../../../stacks/constructs/machine-generations.ts';
import { machineSpec } from '../../../stacks/constructs/node-vm.ts';
import { SURGE_VARIABLE } from '../../../stacks/constructs/surge-machines.ts';
import { operatorTerraformEnv } from '../../../stacks/terraform-cli.ts';
import { RefusedError } from '../refused.ts';
import type { Reporter } from '../report.ts';
import { tail } from '../remote-host.ts';
import type { MachineReplacer } from './machines.ts';
import { SynthesizedStack } from './stack.ts';

/** The saved plan of one batch, in the stack's directory (it holds the stack's state: never anywhere else). */
export const ROLL_PLAN_FILE = 'herd-roll.tfplan';

/** While pools have their surge nodes (herd roll --surge), every plan says so; the variable's default, empty, removes them. */
function surgeVariable(pools: readonly string[]): string[] {
  return pools.length === 0 ? [] : [`-var=${SURGE_VARIABLE}=${JSON.stringify([...pools])}`];
}

/**
 * The Terraform commands of one step of a roll, in the order it runs them in
 * the stack's directory: a plan that replaces exactly these machines (or
 * none, to add or remove surge machines), saved, so that what is applied is
 * what was checked; the plan as JSON, for the check; the apply of that plan.
 */
export function replaceCommands(machineAddresses: readonly string[], surgePools: readonly string[] = []): { plan: string[]; show: string[]; apply: string[] } {
  return {
    plan: ['terraform', 'plan', '-input=false', '-no-color', ...machineAddresses.map((a) => `-replace=${a}`), ...surgeVariable(surgePools), `-out=${ROLL_PLAN_FILE}`],
    show: ['terraform', 'show', '-no-color', '-json', ROLL_PLAN_FILE],
    apply: ['terraform', 'apply', '-input=false', '-no-color', ROLL_PLAN_FILE],
  };
}

export const INIT_COMMAND = ['terraform', 'init', '-input=false', '-no-color'];
export const MACHINES_COMMAND = ['terraform', 'output', '-no-color', '-json', MACHINES_OUTPUT];

interface PlannedChange {
  readonly address: string;
  readonly change: { readonly actions: readonly string[] };
}

/** A command as an operator would type it: words quoted only where the shell needs it. */
export function commandText(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** A node and the address of its machine in the stack. */
export interface PlannedMachine {
  readonly node: string;
  readonly machine: string;
}

/** What a step of the roll asks of Terraform: machines replaced, or surge machines created or destroyed. */
export interface ExpectedChanges {
  readonly replace?: readonly PlannedMachine[];
  readonly create?: readonly PlannedMachine[];
  readonly destroy?: readonly PlannedMachine[];
}

/** The reconcile step, and its record that it finished (cluster-reconcile.ts): a replaced machine reruns both. */
const RECONCILE = ['terraform_data.reconcile', 'terraform_data.reconciled'];
const same = (actions: readonly string[], wanted: readonly string[]): boolean => actions.length === wanted.length && wanted.every((a) => actions.includes(a));

/**
 * What a step's plan does besides what the roll asked for, as "address
 * (actions)" lines; empty when it replaces exactly the batch's machines and
 * their removal hooks (and runs the reconcile step, which a replaced machine
 * triggers), or creates or destroys exactly the surge machines and their
 * hooks. Anything else (a count raised or lowered, a folder renamed) is
 * `cdktf deploy`'s to do first, with its own review. A surge machine already
 * there (or already gone) is no surprise: a resumed roll meets it.
 */
export function unexpectedChanges(plan: { readonly resource_changes?: readonly PlannedChange[] }, expected: ExpectedChanges): string[] {
  const changes = (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
  const rules = new Map<string, (actions: readonly string[]) => boolean>();
  const replaced = (actions: readonly string[]): boolean => same(actions, ['delete', 'create']);
  for (const { node, machine } of expected.replace ?? []) {
    rules.set(machine, replaced).set(`terraform_data.node_removal["${node}"]`, replaced);
    for (const step of RECONCILE) rules.set(step, () => true);
  }
  for (const [list, action] of [[expected.create, 'create'], [expected.destroy, 'delete']] as const) {
    for (const { node, machine } of list ?? []) {
      rules.set(`${machine}[0]`, (a) => same(a, [action])).set(`terraform_data.surge_removal["${node}"]`, (a) => same(a, [action]));
    }
  }
  const unexpected = changes.filter((c) => !(rules.get(c.address)?.(c.change.actions) ?? false)).map((c) => `${c.address} (${c.change.actions.join(', ')})`);
  const missing = (expected.replace ?? []).filter((b) => !changes.some((c) => c.address === b.machine && replaced(c.change.actions))).map((b) => `${b.machine} is not replaced`);
  return [...unexpected, ...missing];
}

/**
 * vSphere: Terraform stays the owner of the VMs, and the roll replaces a
 * batch's VMs with `terraform apply -replace` against the synthesized stack,
 * once their nodes are out of the cluster. Inside that apply, the stack's
 * own steps run as in any deploy: each node's removal hook (`herd node
 * remove`, which finds the node gone already and forgets its host key) and
 * the reconcile step (`herd apply`, which joins the new VMs); both run under
 * the environment lock the roll holds and shares with them.
 */
export class TerraformMachines implements MachineReplacer {
  private initialized = false;
  /** The step of the saved plan in hand: the roll plans its first batch before its checks, then again as the batch starts. */
  private planned: string | undefined;
  /** Pools whose surge machines exist now: every plan keeps them, until the roll removes them. */
  private surge: readonly string[] = [];

  constructor(
    private readonly env: Environment,
    private readonly cluster: Cluster,
    private readonly stack: SynthesizedStack,
    private readonly reporter: Reporter,
  ) {}

  private machines(nodes: readonly ClusterNode[]): PlannedMachine[] {
    return nodes.map((n) => ({ node: n.name, machine: this.stack.machineAddress(this.env.name, n.name) }));
  }

  /** The pools whose surge machines exist, as a resumed roll finds them in its record. */
  setSurge(pools: readonly string[]): void {
    this.surge = [...pools];
  }

  describe(batch: readonly ClusterNode[], surge: readonly string[] = this.surge): string[] {
    const { plan, show, apply } = replaceCommands(this.machines(batch).map((m) => m.machine), surge);
    return [
      `in ${this.dirText()}: ${commandText(plan)}`,
      `  ${commandText(show)} (it must replace only ${batch.map((n) => n.name).join(', ')}: anything else is for cdktf deploy)`,
      `  once ${batch.length === 1 ? 'the node is' : 'the nodes are'} out of the cluster: ${commandText(apply)}`,
    ];
  }

  /** What adding (or removing) surge machines runs, so that the pools in `surge` have theirs. */
  describeSurge(surge: readonly string[]): string[] {
    const { plan, show, apply } = replaceCommands([], surge);
    return [`in ${this.dirText()}: ${commandText(plan)}`, `  ${commandText(show)}, then ${commandText(apply)}`];
  }

  private dirText(): string {
    return relative(process.cwd(), this.stack.dir) || this.stack.dir;
  }

  /** Nodes whose VM was built otherwise than the environment now says (or before herd recorded it), with what it was built as. */
  async outOfDate(nodes: readonly ClusterNode[]): Promise<{ node: ClusterNode; built: string }[]> {
    await this.init();
    const result = await this.terraform(MACHINES_COMMAND, { quiet: true });
    if (result.code !== 0) {
      throw new RefusedError(`\`${commandText(MACHINES_COMMAND)}\` in ${this.stack.dir} failed: ${tail(result.stderr)}\nThe stack has not been deployed by this version of herd yet: run \`cdktf deploy ${this.env.name}\` first.`);
    }
    const built = JSON.parse(result.stdout) as Record<string, string>;
    const infra = this.cluster.spec.infrastructure;
    if (infra.type !== 'vsphere') return [];
    return nodes
      .filter((n) => n.name in built && built[n.name] !== machineSpec(n, this.cluster.spec, infra))
      .map((node) => ({ node, built: built[node.name] || 'not recorded (built before herd recorded its machines)' }));
  }

  async prepare(batch: readonly ClusterNode[]): Promise<void> {
    if (batch.length === 0) return;
    const replace = this.machines(batch);
    await this.plan(replace.map((m) => m.machine), this.surge, { replace }, `the plan to replace ${batch.map((n) => n.name).join(', ')}`);
  }

  async replace(): Promise<void> {
    await this.apply();
  }

  /** Creates the surge machines of `nodes` (surge then names their pools), or destroys them (it no longer does). */
  async changeSurge(surge: readonly string[], change: { readonly create: readonly ClusterNode[] } | { readonly destroy: readonly ClusterNode[] }): Promise<void> {
    const expected = 'create' in change ? { create: this.machines(change.create) } : { destroy: this.machines(change.destroy) };
    const nodes = 'create' in change ? change.create : change.destroy;
    await this.plan([], surge, expected, `the plan to ${'create' in change ? 'add' : 'remove'} the surge machines ${nodes.map((n) => n.name).join(', ')}`);
    await this.apply();
    this.surge = [...surge];
  }

  private async plan(replace: readonly string[], surge: readonly string[], expected: ExpectedChanges, what: string): Promise<void> {
    const key = JSON.stringify([replace, surge]);
    if (this.planned === key) return;
    await this.init();
    const { plan, show } = replaceCommands(replace, surge);
    await this.mustRun(plan);
    const json = JSON.parse((await this.mustRun(show, true)).stdout) as { resource_changes?: PlannedChange[] };
    const unexpected = unexpectedChanges(json, expected);
    if (unexpected.length > 0) {
      rmSync(join(this.stack.dir, ROLL_PLAN_FILE), { force: true });
      this.planned = undefined;
      throw new RefusedError(
        `${what} would also change:\n  ${unexpected.join('\n  ')}\n` +
          `Those are changes for \`cdktf deploy ${this.env.name}\` to make, with their own review: deploy first, then run herd roll again.`,
      );
    }
    this.planned = key;
  }

  private async apply(): Promise<void> {
    await this.mustRun(replaceCommands([]).apply);
    this.planned = undefined;
    rmSync(join(this.stack.dir, ROLL_PLAN_FILE), { force: true });
  }

  private async init(): Promise<void> {
    if (this.initialized) return;
    await this.mustRun(INIT_COMMAND, true);
    this.initialized = true;
  }

  private async mustRun(argv: readonly string[], quiet = false): Promise<{ stdout: string }> {
    const result = await this.terraform(argv, { quiet });
    if (result.code !== 0) throw new Error(`\`${commandText(argv)}\` in ${this.stack.dir} failed with exit code ${result.code}:\n${tail(result.stderr || result.stdout)}`);
    return result;
  }

  /**
   * Runs Terraform in the stack's directory, quiet (no checkpoint calls) and
   * with this process's environment, the shared lock included, so that the
   * stack's hooks run under it. Its output is the operator's to read as it
   * comes, unless `quiet` (output only a caller parses).
   */
  private terraform(argv: readonly string[], options: { quiet: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
    this.reporter.info(undefined, `$ (cd ${relative(process.cwd(), this.stack.dir) || this.stack.dir} && ${commandText(argv)})`);
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.stack.dir, env: { ...operatorTerraformEnv(process.env), TF_IN_AUTOMATION: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      // Whole lines only: a chunk may end half-way through one.
      const pending = { stdout: '', stderr: '' };
      const show = (stream: 'stdout' | 'stderr', chunk: string, flush = false): void => {
        const lines = (pending[stream] + chunk).split('\n');
        pending[stream] = flush ? '' : lines.pop()!;
        if (!options.quiet) for (const line of lines) if (line.trim() !== '') this.reporter.info('terraform', line);
      };
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        show('stdout', d.toString());
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        show('stderr', d.toString());
      });
      child.on('close', () => {
        show('stdout', '', true);
        show('stderr', '', true);
      });
      child.on('error', (err) => reject(new Error(`cannot run terraform: ${err.message}; herd roll needs Terraform on PATH for a vSphere environment`)));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }
}
