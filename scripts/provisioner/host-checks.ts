import type { ClusterNode } from '../../stacks/topology/topology.ts';
import type { HostFacts } from './facts.ts';
import { NothingChangedError } from './refused.ts';

export class HostsNotSuitableError extends NothingChangedError {
  override name = 'HostsNotSuitableError';
  constructor(problems: readonly string[]) {
    super(`these hosts cannot be used; nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Operating systems the node scripts are written and tested for. */
export const SUPPORTED_OS: Readonly<Record<string, readonly string[]>> = {
  debian: ['12', '13'],
  ubuntu: ['22.04', '24.04'],
};

/** kubeadm's own preflight minimums, checked here so that a run fails before it changes anything. */
const MINIMUM = {
  controlPlane: { cpus: 2, memoryMiB: 1700 },
  worker: { cpus: 1, memoryMiB: 1000 },
} as const;

/** Beyond this, certificates and tokens issued on one node can look not-yet-valid on another. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

/** Why this host cannot serve as this node; empty when it can. */
export function hostProblems(node: ClusterNode, facts: HostFacts): string[] {
  const problems: string[] = [];
  const versions = SUPPORTED_OS[facts.os.id];
  if (versions === undefined || !versions.includes(facts.os.version)) {
    const supported = Object.entries(SUPPORTED_OS).map(([id, v]) => `${id} ${v.join('/')}`).join(', ');
    problems.push(`runs ${facts.os.id} ${facts.os.version}; supported: ${supported}`);
  }
  if (!facts.addressIsLocal) problems.push(`${node.address} is not an address of this host (the environment gives it to ${node.name})`);
  if (Math.abs(facts.clockSkewSeconds) > MAX_CLOCK_SKEW_SECONDS) {
    problems.push(`its clock is ${Math.round(facts.clockSkewSeconds)} s off ours (at most ${MAX_CLOCK_SKEW_SECONDS} s): check NTP`);
  }
  const min = MINIMUM[node.role];
  if (facts.cpus < min.cpus) problems.push(`has ${facts.cpus} CPUs; a ${node.role} needs at least ${min.cpus}`);
  if (facts.memoryMiB < min.memoryMiB) problems.push(`has ${facts.memoryMiB} MiB of memory; a ${node.role} needs at least ${min.memoryMiB}`);
  return problems;
}
