import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { provision, type ProvisionResult } from '../provision.ts';
import { ConnectFailedError } from '../connect-hosts.ts';
import { ConnectError, HostKeyRefusedError } from '../../ssh/session.ts';
import { RefusedError } from '../refused.ts';
import { ServingControlPlane, etcdProblem } from './control-plane.ts';
import type { RollRun } from './run.ts';

const quiet = { isTTY: false, write: (): void => undefined };

/**
 * What must hold before a roll starts (or resumes), checked before anything
 * is touched: a roll takes nodes out one batch at a time and counts on the
 * others to serve. herd apply has nothing left to do but for the nodes the
 * roll already has in hand; every other node is Ready and schedulable; and,
 * when control planes are to leave, etcd has each of them as a healthy
 * member. Refused with every problem named.
 */
export async function checkBeforeRoll(run: Omit<RollRun, 'record' | 'machines'>, commandLine: string, remaining: readonly ClusterNode[], inHand: ReadonlySet<string>): Promise<void> {
  const problems: string[] = [];
  // The roll's own nodes: those it has in hand already, and a broken one herd node replace is to replace.
  const ours = new Set([...inHand, ...run.tolerated]);
  const mine = (host: string, forNodes: readonly string[] = []): boolean => ours.has(host) || (forNodes.length > 0 && forNodes.every((n) => ours.has(n)));

  const plan = await pendingWork(run, ours);
  const pending = (plan ?? []).filter((p) => p.changes).flatMap((p) => p.steps.filter((s) => !mine(s.host, s.forNodes)).map((s) => `${s.host}: ${s.step} (${p.phase})`));
  if (pending.length > 0) problems.push(`herd apply ${run.env.name} has work to do first, or the roll would do it half-way:\n    ${pending.join('\n    ')}`);

  const cp = await ServingControlPlane.connect(run.env, run.cluster, run.rendered, run.credentials, run.reporter);
  try {
    const nodes = await cp.nodes();
    for (const node of run.cluster.nodes) {
      if (ours.has(node.name)) continue;
      const seen = nodes.get(node.name);
      if (seen === undefined) problems.push(`${node.name} is not in the cluster`);
      else if (!seen.ready) problems.push(`${node.name} is not Ready`);
      else if (seen.unschedulable) problems.push(`${node.name} is cordoned: uncordon it (kubectl uncordon ${node.name}), or it and the roll's nodes would be out at once`);
    }
    if (remaining.some((n) => n.role === 'controlPlane') && ![...inHand].some((n) => run.cluster.controlPlanes.some((cp) => cp.name === n))) {
      const problem = etcdProblem(await cp.etcd(), run.cluster.controlPlanes.map((n) => n.name), [...run.tolerated]);
      if (problem !== undefined) problems.push(`${problem}: a control plane may leave only while every other one votes`);
    }
  } finally {
    cp.close();
  }
  if (problems.length > 0) throw new RefusedError(`${commandLine} cannot start:\n  ${problems.join('\n  ')}`);
}

/**
 * What herd apply would do now, or undefined when only the roll's own nodes
 * do not answer (a VM Terraform had destroyed when the roll stopped, a host
 * that is being re-imaged): the cluster is then checked without it.
 */
async function pendingWork(run: Omit<RollRun, 'record' | 'machines'>, ours: ReadonlySet<string>): Promise<ProvisionResult['plan'] | undefined> {
  try {
    return (await provision({ env: run.env, dryRun: true, console: quiet })).plan;
  } catch (err) {
    if (!(err instanceof ConnectFailedError) || !err.failures.every((f) => (f instanceof ConnectError || f instanceof HostKeyRefusedError) && ours.has(f.endpoint.name))) throw err;
    run.reporter.info(undefined, `${err.failures.map((f) => (f as ConnectError).endpoint.name).join(', ')} (the roll's own) cannot be reached now: what herd apply has left to do is not checked`);
    return undefined;
  }
}
