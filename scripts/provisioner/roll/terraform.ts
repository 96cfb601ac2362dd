import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { quote } from 'shell-quote';
import type { Environment } from '../../../stacks/environment/load.ts';
import type { Cluster, ClusterNode } from '../../../stacks/topology/topology.ts';
import { MACHINES_OUTPUT } from '../../../stacks/constructs/machine-generations.ts';
import { machineSpec } from '../../../stacks/constructs/node-vm.ts';
import { quietTerraformEnv } from '../../../stacks/terraform-cli.ts';
import { RefusedError } from '../refused.ts';
import type { Reporter } from '../report.ts';
import { tail } from '../remote-host.ts';
import type { MachineReplacer } from './machines.ts';
import { SynthesizedStack } from './stack.ts';

/** The saved plan of one batch, in the stack's directory (it holds the stack's state: never anywhere else). */
export const ROLL_PLAN_FILE = 'herd-roll.tfplan';

/**
 * The Terraform commands that replace a batch's machines, in the order the
 * roll runs them in the stack's directory: a plan that replaces exactly
 * these machines (saved, so that what is applied is what was checked), the
 * plan as JSON for the check, and the apply of that saved plan.
 */
export function replaceCommands(machineAddresses: readonly string[]): { plan: string[]; show: string[]; apply: string[] } {
  return {
    plan: ['terraform', 'plan', '-input=false', '-no-color', ...machineAddresses.map((a) => `-replace=${a}`), `-out=${ROLL_PLAN_FILE}`],
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

const hookOf = (node: string): string => `terraform_data.node_removal["${node}"]`;
const RECONCILE = 'terraform_data.reconcile';

/**
 * What a batch's plan does besides what the roll asked for, as "address
 * (actions)" lines; empty when it replaces exactly the batch's machines and
 * their removal hooks, and runs the reconcile step (which a replaced machine
 * triggers). Anything else (a count raised or lowered, a folder renamed) is
 * `cdktf deploy`'s to do first, with its own review.
 */
export function unexpectedChanges(plan: { readonly resource_changes?: readonly PlannedChange[] }, batch: readonly { node: string; machine: string }[]): string[] {
  const changes = (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
  const replaced = (c: PlannedChange): boolean => c.change.actions.includes('delete') && c.change.actions.includes('create');
  const allowed = new Set([...batch.flatMap((b) => [b.machine, hookOf(b.node)]), RECONCILE]);
  const unexpected = changes.filter((c) => !allowed.has(c.address) || (c.address !== RECONCILE && !replaced(c))).map((c) => `${c.address} (${c.change.actions.join(', ')})`);
  const missing = batch.filter((b) => !changes.some((c) => c.address === b.machine && replaced(c))).map((b) => `${b.machine} is not replaced`);
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

  constructor(
    private readonly env: Environment,
    private readonly cluster: Cluster,
    private readonly stack: SynthesizedStack,
    private readonly reporter: Reporter,
  ) {}

  private address(node: ClusterNode): string {
    return this.stack.machineAddress(this.env.name, node.name);
  }

  describe(batch: readonly ClusterNode[]): string[] {
    const dir = relative(process.cwd(), this.stack.dir) || this.stack.dir;
    const { plan, show, apply } = replaceCommands(batch.map((n) => this.address(n)));
    return [
      `in ${dir}: ${quote(plan)}`,
      `  ${quote(show)} (it must replace only ${batch.map((n) => n.name).join(', ')}: anything else is for cdktf deploy)`,
      `  once ${batch.length === 1 ? 'the node is' : 'the nodes are'} out of the cluster: ${quote(apply)}`,
    ];
  }

  /** Nodes whose VM was built otherwise than the environment now says (or before herd recorded it), with what it was built as. */
  async outOfDate(nodes: readonly ClusterNode[]): Promise<{ node: ClusterNode; built: string }[]> {
    await this.init();
    const result = await this.terraform(MACHINES_COMMAND, { quiet: true });
    if (result.code !== 0) {
      throw new RefusedError(`\`${quote(MACHINES_COMMAND)}\` in ${this.stack.dir} failed: ${tail(result.stderr)}\nThe stack has not been deployed by this version of herd yet: run \`cdktf deploy ${this.env.name}\` first.`);
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
    await this.init();
    const { plan, show } = replaceCommands(batch.map((n) => this.address(n)));
    await this.mustRun(plan);
    const json = JSON.parse((await this.mustRun(show, true)).stdout) as { resource_changes?: PlannedChange[] };
    const unexpected = unexpectedChanges(json, batch.map((n) => ({ node: n.name, machine: this.address(n) })));
    if (unexpected.length > 0) {
      rmSync(join(this.stack.dir, ROLL_PLAN_FILE), { force: true });
      throw new RefusedError(
        `the plan to replace ${batch.map((n) => n.name).join(', ')} would also change:\n  ${unexpected.join('\n  ')}\n` +
          `Those are changes for \`cdktf deploy ${this.env.name}\` to make, with their own review: deploy first, then run herd roll again.`,
      );
    }
  }

  async replace(batch: readonly ClusterNode[]): Promise<void> {
    await this.mustRun(replaceCommands(batch.map((n) => this.address(n))).apply);
    rmSync(join(this.stack.dir, ROLL_PLAN_FILE), { force: true });
  }

  private async init(): Promise<void> {
    if (this.initialized) return;
    await this.mustRun(INIT_COMMAND, true);
    this.initialized = true;
  }

  private async mustRun(argv: readonly string[], quiet = false): Promise<{ stdout: string }> {
    const result = await this.terraform(argv, { quiet });
    if (result.code !== 0) throw new Error(`\`${quote(argv)}\` in ${this.stack.dir} failed with exit code ${result.code}:\n${tail(result.stderr || result.stdout)}`);
    return result;
  }

  /**
   * Runs Terraform in the stack's directory, quiet (no checkpoint calls) and
   * with this process's environment, the shared lock included, so that the
   * stack's hooks run under it. Its output is the operator's to read as it
   * comes, unless `quiet` (output only a caller parses).
   */
  private terraform(argv: readonly string[], options: { quiet: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
    this.reporter.info(undefined, `$ (cd ${relative(process.cwd(), this.stack.dir) || this.stack.dir} && ${quote(argv)})`);
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.stack.dir, env: { ...quietTerraformEnv(process.env), TF_IN_AUTOMATION: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
