import pLimit from 'p-limit';
import { join } from 'node:path';
import type { Environment } from '../../stacks/environment/load.ts';
import { ConfigError, type ConfigIssue } from '../../stacks/environment/errors.ts';
import { computeCluster } from '../../stacks/topology/topology.ts';
import { renderCluster } from '../../templates/render.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { connectNodes, sshCredentials, type EnvironmentCredentials } from './connect-hosts.ts';
import type { Phase, PlannedStep, RunContext } from './context.ts';
import { probe } from './facts.ts';
import { hostProblems } from './host-checks.ts';
import { Redactor } from './redact.ts';
import { Reporter, type Console } from './report.ts';
import { prepareNodes } from './phases/prepare-nodes.ts';
import { initControlPlane } from './phases/init-control-plane.ts';
import { joinControlPlanes, joinWorkers } from './phases/join-nodes.ts';
import { upgradeControlPlanes, upgradeWorkers } from './phases/upgrade-nodes.ts';
import { newClusterIssues, versionSkewIssues } from './upgrade-plan.ts';
import { applyCalico } from './phases/apply-calico.ts';
import { verify } from './phases/verify.ts';
import { readClusterView } from './cluster-view.ts';
import { spaceProblems } from './space.ts';
import { planDocument, type PlanDocument } from './plan-document.ts';
import { acquireEnvironmentLock } from './locks/environment-lock.ts';
import { PG_CONN_STR, pgConnectionSecrets } from './locks/pg-lock.ts';
import { NothingChangedError } from './refused.ts';

export interface ProvisionOptions {
  readonly env: Environment;
  /** Plan only: connect, read facts, print the steps, change nothing. */
  readonly dryRun: boolean;
  readonly console: Console;
  readonly verifyTimeoutMs?: number;
  /** How long apply waits for another apply on the environment to finish; 0 (the default) fails at once. */
  readonly lockTimeoutSeconds?: number;
  /** Build new nodes on a Kubernetes minor past its end of life (to rehearse an upgrade of a cluster that runs one). */
  readonly allowEndOfLife?: boolean;
}

export interface ProvisionResult {
  readonly plan: readonly { phase: string; steps: readonly PlannedStep[] }[];
  /** The plan as herd plan --json prints it. */
  readonly document: PlanDocument;
  readonly logDir: string;
}

export class HostsNotSuitableError extends NothingChangedError {
  override name = 'HostsNotSuitableError';
  constructor(problems: readonly string[]) {
    super(`these hosts cannot be used; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** The secrets the environment names, read from this process's environment; all must be set before anything is done. */
export function readSecrets(env: Environment): Record<string, string> {
  const secrets: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  env.spec.calico.bgp.peers.forEach((peer, i) => {
    if (peer.passwordFrom === undefined) return;
    const value = process.env[peer.passwordFrom.env];
    if (value === undefined || value === '') {
      issues.push({ file: env.file, path: `calico.bgp.peers[${i}].passwordFrom.env`, message: `the environment variable ${peer.passwordFrom.env} is not set; export it with the BGP password before running` });
    } else {
      secrets[peer.passwordFrom.env] = value;
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return secrets;
}

// Joined nodes are upgraded before new ones join, so that no kubelet is ever newer than the API server.
const PHASES = (verifyTimeoutMs: number): readonly Phase[] => [
  prepareNodes,
  initControlPlane,
  upgradeControlPlanes,
  upgradeWorkers,
  joinControlPlanes,
  joinWorkers,
  applyCalico,
  verify(verifyTimeoutMs),
];

/**
 * Brings every node of an environment to the desired state: connect to all,
 * read facts, check the hosts, plan every phase from the facts, then (unless
 * planning only) run the phases in order. A failed phase stops the run.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const secrets = readSecrets(options.env);
  const credentials = sshCredentials(options.env);
  // A plan only reads; an apply must not interleave with another on the same cluster.
  const warn = (message: string): void => options.console.write(`WARNING: ${message}\n`);
  const lock = options.dryRun ? undefined : await acquireEnvironmentLock(options.env, { operation: 'apply', timeoutSeconds: options.lockTimeoutSeconds ?? 0, warn });
  try {
    return await run(options, secrets, credentials);
  } finally {
    await lock?.release();
  }
}

async function run(options: ProvisionOptions, secrets: Record<string, string>, credentials: EnvironmentCredentials): Promise<ProvisionResult> {
  const { env } = options;
  const cluster = computeCluster(env);
  const rendered = renderCluster(cluster);
  const redactor = new Redactor();
  for (const value of Object.values(secrets)) redactor.add(value);
  // The state database's password is no node's business, but a message could carry it.
  const connStr = process.env[PG_CONN_STR];
  if (env.spec.state.type === 'pg' && connStr !== undefined && connStr !== '') for (const value of pgConnectionSecrets(connStr)) redactor.add(value);
  const logDir = join(environmentStateDir(env.name), 'logs', new Date().toISOString().replaceAll(':', '-'));
  const reporter = new Reporter(redactor, logDir, options.console);
  const limit = pLimit(env.spec.provisioner.concurrency);

  const { hosts, close } = await connectNodes(env, cluster.nodes, credentials, reporter, limit);
  try {
    const ctx: RunContext = { env, cluster, rendered, reporter, limit, secrets, hosts, facts: new Map() };

    reporter.phase('Gather facts');
    await Promise.all(cluster.nodes.map((n) => limit(async () => ctx.facts.set(n.name, await probe(hosts.get(n.name)!)))));
    const unsuitable = cluster.nodes.flatMap((n) => hostProblems(n, ctx.facts.get(n.name)!).map((p) => `${n.name}: ${p}`));
    if (unsuitable.length > 0) throw new HostsNotSuitableError(unsuitable);
    ctx.clusterView = await readClusterView(ctx);
    const skew = [...versionSkewIssues(ctx), ...newClusterIssues(ctx, { allowEndOfLife: options.allowEndOfLife ?? false })];
    if (skew.length > 0) throw new ConfigError(skew);

    const phases = PHASES(options.verifyTimeoutMs ?? 300_000);
    const plan = phases.map((phase) => ({ phase, steps: phase.plan(ctx) }));
    printPlan(reporter, plan);
    const document = planDocument(ctx, plan, env.warnings);
    // A full disk is known now, not half-way through, after other hosts have changed.
    const short = spaceProblems(ctx, plan);
    if (short.length > 0) throw new HostsNotSuitableError(short);
    if (!options.dryRun) {
      for (const { phase, steps } of plan) {
        if (steps.length === 0) continue;
        reporter.phase(phase.title);
        await phase.run(ctx, steps);
      }
      options.console.write(`\n${reporter.summary()}`);
    }
    return { plan: plan.map(({ phase, steps }) => ({ phase: phase.title, steps })), document, logDir };
  } finally {
    close();
  }
}

function printPlan(reporter: Reporter, plan: readonly { phase: Phase; steps: readonly PlannedStep[] }[]): void {
  reporter.phase('Plan');
  const changing = plan.filter((p) => p.phase.changes && p.steps.length > 0);
  if (changing.length === 0) reporter.info(undefined, 'no changes');
  for (const { phase, steps } of plan) {
    if (steps.length === 0) continue;
    reporter.info(undefined, `  ${phase.title}:`);
    for (const s of steps) reporter.info(undefined, `    ${s.host}: ${s.step}`);
  }
}
