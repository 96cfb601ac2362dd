import { join } from 'node:path';
import type { Environment } from '../../../stacks/environment/load.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { computeCluster, type Cluster, type ClusterNode } from '../../../stacks/topology/topology.ts';
import { renderCluster } from '../../../templates/render.ts';
import { sshCredentials } from '../connect-hosts.ts';
import { acquireEnvironmentLock } from '../locks/environment-lock.ts';
import { shareLockWithChildren } from '../locks/shared-lock.ts';
import { readSecrets } from '../provision.ts';
import { Redactor } from '../redact.ts';
import { RefusedError } from '../refused.ts';
import { Reporter, type Console } from '../report.ts';
import { checkBeforeRoll } from './checks.ts';
import { ServingControlPlane } from './control-plane.ts';
import { leave } from './leave.ts';
import type { MachineReplacer } from './machines.ts';
import { RollRecord, progressFile, reached, readProgress, type NodeStep, type RollProgress } from './progress.ts';
import { ReimageHosts, type ReimageOptions } from './reimage.ts';
import { rejoin } from './rejoin.ts';
import { bringBack, etcdWhole } from './return.ts';
import type { RollRun } from './run.ts';
import { nodesInScope, rollBatches, type RollScope } from './scope.ts';
import { SynthesizedStack, stackDirOf } from './stack.ts';
import { TerraformMachines } from './terraform.ts';
import { surgeAround, surgeFor, type SurgePlan } from './surge.ts';

export interface RollOptions {
  readonly env: Environment;
  /** `herd node replace` is a roll of one node, chosen by name, whatever its machine. */
  readonly operation: 'roll' | 'node replace';
  readonly scope: RollScope;
  /** vSphere: every node in scope, not only those whose VM was built otherwise than the file says now. */
  readonly all: boolean;
  /** Print the plan only: what would leave, in which order, with which commands; change nothing. */
  readonly dryRun: boolean;
  /** Static hosts: how a host gets re-imaged. */
  readonly reimage: ReimageOptions;
  readonly readyTimeoutSeconds: number;
  readonly lockTimeoutSeconds: number;
  readonly console: Console;
  /** vSphere: the synthesized stack (default cdktf.out/stacks/<env> of the project). */
  readonly stackDir?: string;
  /** vSphere: each pool gets a batch's worth of temporary machines before its first node leaves (stacks/topology/surge.ts). */
  readonly surge?: boolean;
}

/** The command as the operator types it to start, or finish, this roll; an unfinished roll is resumed only by the same one. */
export function rollCommandLine(options: Pick<RollOptions, 'env' | 'operation' | 'scope' | 'all' | 'surge'>): string {
  if (options.operation === 'node replace') return `herd node replace ${options.env.name} ${options.scope.nodes.join(' ')}`;
  return ['herd roll', options.env.name, ...options.scope.pools.map((p) => `--pool ${p}`), ...(options.all ? ['--all'] : []), ...(options.surge === true ? ['--surge'] : [])].join(' ');
}

const STEP_WORDS: Record<NodeStep, string> = {
  waiting: 'to do',
  leaving: 'resumes: it was leaving the cluster',
  out: 'resumes: it is out of the cluster, its machine not yet replaced',
  replaced: 'resumes: its new machine is there, it has not joined',
  joined: 'resumes: it joined, not yet back (Ready, schedulable)',
  done: 'done',
};

/**
 * `herd roll` and `herd node replace`: nodes replaced by new machines one
 * batch at a time, control planes first and one by one (etcd whole before
 * each leaves and after each returns), then each pool's workers in batches of
 * upgrade.workerBatchSize. Each node of a batch is drained and removed from
 * the cluster (and etcd), reset, given a new machine (Terraform for a vSphere
 * VM; the operator's re-imaging for a static host), joined, and back Ready
 * and schedulable before the next batch leaves. Progress is recorded after
 * every step (.herd/<env>/roll.json): a run stopped at any point, killed
 * included, is finished by the same command, which never repeats a node that
 * is done.
 */
export async function roll(options: RollOptions): Promise<void> {
  const { env } = options;
  const cluster = computeCluster(env);
  // What the command line asks is checked first, before secrets, keys or any host.
  nodesInScope(cluster, options.scope);
  if (options.surge === true && env.spec.infrastructure.type !== 'vsphere') {
    throw new RefusedError('--surge adds machines, which herd can do only on vSphere: static hosts exist before herd, and their number is what the file lists');
  }
  const secrets = readSecrets(env);
  const credentials = sshCredentials(env);
  const rendered = renderCluster(cluster);
  const redactor = new Redactor();
  for (const value of Object.values(secrets)) redactor.add(value);
  const reporter = new Reporter(redactor, join(environmentStateDir(env.name), 'logs', `roll-${new Date().toISOString().replaceAll(':', '-')}`), options.console);
  const commandLine = rollCommandLine(options);
  const warn = (message: string): void => options.console.write(`WARNING: ${message}\n`);
  const lock = options.dryRun ? undefined : await acquireEnvironmentLock(env, { operation: options.operation, timeoutSeconds: options.lockTimeoutSeconds, warn });
  // Terraform's hooks and the joins (herd node remove, herd apply) run under this roll's lock.
  const unshare = lock === undefined ? undefined : shareLockWithChildren(env.name, options.operation);
  try {
    const machines =
      env.spec.infrastructure.type === 'vsphere'
        ? new TerraformMachines(env, cluster, SynthesizedStack.read(cluster, options.stackDir ?? stackDirOf(env.name)), reporter)
        : new ReimageHosts(env, credentials, reporter, options.reimage);
    const unfinished = unfinishedRoll(env.name, commandLine);
    const batches = unfinished !== undefined ? batchesOf(cluster, unfinished) : rollBatches(cluster, await chosen(options, cluster, machines, reporter));
    const surge = surgePlan(options, cluster, machines, batches);
    if (machines instanceof TerraformMachines && unfinished !== undefined) machines.setSurge(Object.entries(unfinished.surge ?? {}).filter(([, step]) => step !== 'gone').map(([pool]) => pool));
    printPlan(reporter, commandLine, batches, unfinished, machines, cluster, surge);
    if (options.dryRun || batches.length === 0) return;

    const nodes = batches.flat();
    const inHand = new Set(nodes.filter((n) => unfinished !== undefined && !['waiting', 'done'].includes(unfinished.nodes[n.name]?.step ?? 'waiting')).map((n) => n.name));
    const remaining = nodes.filter((n) => unfinished?.nodes[n.name]?.step !== 'done');
    const tolerated = new Set(options.operation === 'node replace' ? options.scope.nodes : []);
    const base = { env, cluster, rendered, credentials, reporter, console: options.console, readyTimeoutSeconds: options.readyTimeoutSeconds, tolerated };
    // The first batch's new machines are planned (and refused, if the stack would change more) before anything else.
    const first = batches.find((b) => b.some((n) => unfinished?.nodes[n.name]?.step !== 'done')) ?? [];
    await machines.prepare(first.filter((n) => !reached(unfinished?.nodes[n.name]?.step ?? 'waiting', 'replaced')));
    await checkBeforeRoll(base, commandLine, remaining, inHand);
    const record = unfinished !== undefined ? new RollRecord(unfinished) : RollRecord.start(env.name, commandLine, batches.map((b) => b.map((n) => n.name)));
    const run: RollRun = { ...base, record, machines };
    for (const [index, batch] of batches.entries()) {
      try {
        await surgeAround(run, surge, batches, index, () => rollBatch(run, batch, index, batches.length));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`${message}\nThe roll stopped at batch ${index + 1} of ${batches.length} (${batch.map((n) => n.name).join(', ')}); its progress is in ${progressFile(env.name)}. Fix the cause, then run \`${commandLine}\` again: it resumes there.`);
      }
    }
    record.finish();
    reporter.phase(`${commandLine}: ${nodes.length} node${nodes.length === 1 ? '' : 's'} on new machines`);
  } finally {
    unshare?.();
    await lock?.release();
  }
}

/** With --surge: each worker pool the roll takes, with its surge nodes (refused where a pool cannot have them). */
function surgePlan(options: RollOptions, cluster: Cluster, machines: MachineReplacer, batches: readonly ClusterNode[][]): SurgePlan | undefined {
  if (options.surge !== true || !(machines instanceof TerraformMachines)) return undefined;
  const pools = [...new Set(batches.flat().filter((n) => n.role === 'worker').map((n) => n.pool))];
  return { machines, pools: surgeFor(cluster, pools) };
}

/** The roll a previous run left unfinished, if any; one started by another command must be finished by that command first. */
function unfinishedRoll(env: string, commandLine: string): RollProgress | undefined {
  const previous = readProgress(env);
  if (previous === undefined || previous.finishedAt !== undefined) return undefined;
  if (previous.command !== commandLine) {
    throw new RefusedError(
      `\`${previous.command}\` (started ${previous.startedAt}) did not finish: run it again to finish it before \`${commandLine}\`. ` +
        `To abandon it instead, remove ${progressFile(env)}; nodes it left out of the cluster are joined by herd apply.`,
    );
  }
  return previous;
}

function batchesOf(cluster: Cluster, progress: RollProgress): ClusterNode[][] {
  return progress.batches.map((batch) =>
    batch.map((name) => {
      const node = cluster.nodes.find((n) => n.name === name);
      if (node === undefined) throw new RefusedError(`\`${progress.command}\` did not finish, and the environment no longer has ${name}: restore the file, or remove ${progressFile(progress.env)} to abandon it`);
      return node;
    }),
  );
}

/** The nodes a new roll replaces: those in scope, and on vSphere (herd roll without --all) only those built otherwise than the file says. */
async function chosen(options: RollOptions, cluster: Cluster, machines: MachineReplacer, reporter: Reporter): Promise<ClusterNode[]> {
  const inScope = nodesInScope(cluster, options.scope);
  if (!(machines instanceof TerraformMachines) || options.all || options.operation === 'node replace') return inScope;
  const outOfDate = await machines.outOfDate(inScope);
  for (const { node, built } of outOfDate) reporter.info(node.name, `out of date: built as "${built}"`);
  return outOfDate.map((o) => o.node);
}

function printPlan(
  reporter: Reporter,
  commandLine: string,
  batches: readonly ClusterNode[][],
  unfinished: RollProgress | undefined,
  machines: MachineReplacer,
  cluster: Cluster,
  surge: SurgePlan | undefined,
): void {
  reporter.phase(`Plan: ${commandLine}${unfinished === undefined ? '' : ` (resumes the run started ${unfinished.startedAt})`}`);
  if (batches.length === 0) {
    reporter.info(undefined, 'no changes: every node in scope runs on a machine as the environment says');
    return;
  }
  const drain = cluster.spec.upgrade.drainTimeoutSeconds;
  reporter.info(undefined, `  ${batches.flat().length} node(s) in ${batches.length} batch(es); each: drain (PodDisruptionBudgets respected, up to ${drain} s), remove from the cluster (and etcd, quorum checked), reset, a new machine, join, uncordon when Ready; the next batch leaves only then`);
  for (const [index, batch] of batches.entries()) {
    const pool = batch[0]!.pool;
    const surgeNodes = surge?.pools.get(pool);
    if (surgeNodes !== undefined && batches[index - 1]?.[0]?.pool !== pool) {
      reporter.info(undefined, `  before pool ${pool}'s first batch: add its surge node${surgeNodes.length === 1 ? '' : 's'} ${surgeNodes.map((n) => `${n.name} (${n.address})`).join(', ')}, join, uncordon when Ready`);
      for (const line of surge!.machines.describeSurge([pool])) reporter.info(undefined, `    ${line}`);
    }
    reporter.info(undefined, `  batch ${index + 1} of ${batches.length}: ${batch.map((n) => `${n.name} (${STEP_WORDS[unfinished?.nodes[n.name]?.step ?? 'waiting']})`).join(', ')}`);
    const todo = batch.filter((n) => !reached(unfinished?.nodes[n.name]?.step ?? 'waiting', 'replaced'));
    if (todo.length > 0) for (const line of machines.describe(todo, surgeNodes === undefined ? [] : [pool])) reporter.info(undefined, `    ${line}`);
    if (surgeNodes !== undefined && batches[index + 1]?.[0]?.pool !== pool) {
      reporter.info(undefined, `  after pool ${pool}'s last batch: its surge node${surgeNodes.length === 1 ? '' : 's'} leave (drain, remove, reset), then`);
      for (const line of surge!.machines.describeSurge([])) reporter.info(undefined, `    ${line}`);
    }
  }
}

/** One batch, each node from the step it reached: leave, new machine, join, back. */
async function rollBatch(run: RollRun, batch: readonly ClusterNode[], index: number, of: number): Promise<void> {
  const step = (n: ClusterNode): NodeStep => run.record.node(n.name).step;
  const todo = batch.filter((n) => step(n) !== 'done');
  if (todo.length === 0) return;
  run.reporter.phase(`Batch ${index + 1} of ${of}: ${todo.map((n) => n.name).join(', ')}`);
  const toReplace = todo.filter((n) => !reached(step(n), 'replaced'));
  // Whatever would refuse the new machines refuses now, while the batch is still in the cluster.
  await run.machines.prepare(toReplace);
  const toLeave = todo.filter((n) => !reached(step(n), 'out'));
  const firstToLeave = toLeave.find((n) => n.role === 'controlPlane' && step(n) === 'waiting');
  if (firstToLeave !== undefined) {
    const cp = await ServingControlPlane.connect(run.env, run.cluster, run.rendered, run.credentials, run.reporter, firstToLeave.name);
    try {
      await etcdWhole(run, cp, `before ${firstToLeave.name} leaves`, [...run.tolerated]);
    } finally {
      cp.close();
    }
  }
  await allOf(toLeave.map((n) => leave(run, n)));
  if (toReplace.length > 0) {
    run.reporter.phase(`New machine${toReplace.length === 1 ? '' : 's'} for ${toReplace.map((n) => n.name).join(', ')}`);
    await run.machines.replace(toReplace, run.record);
    for (const n of toReplace) run.record.step(n.name, 'replaced');
  }
  const toJoin = todo.filter((n) => !reached(step(n), 'joined'));
  if (toJoin.length > 0) await rejoin(run, toJoin);
  for (const n of todo) await bringBack(run, n);
}

/** Like Promise.all, but every promise ends before the first failure is reported: a node half-way through a step is not abandoned. */
async function allOf(promises: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (failed.length > 0) throw new Error(failed.join('\n'));
}
