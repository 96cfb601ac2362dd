import { controlPlaneAntiAffinity } from '../../../stacks/environment/anti-affinity.ts';
import type { Cluster } from '../../../stacks/topology/topology.ts';
import type { Host } from '../inventory.ts';
import type { CheckResult, Finding } from '../findings.ts';

/** A DRS anti-affinity rule the stack will create: its name in vCenter, its members, and the YAML path that asks for it. */
export interface AntiAffinityGroup {
  readonly rule: string;
  readonly members: number;
  readonly path: readonly PropertyKey[];
}

/** The rules the stack creates (environment-stack.ts): rules start at two members. */
export function antiAffinityGroups(cluster: Cluster): AntiAffinityGroup[] {
  const groups: AntiAffinityGroup[] = [];
  if (controlPlaneAntiAffinity(cluster.spec) && cluster.controlPlanes.length > 1) {
    groups.push({ rule: `${cluster.name}-cp`, members: cluster.controlPlanes.length, path: ['controlPlane', 'antiAffinity'] });
  }
  cluster.spec.workerPools.forEach((pool, i) => {
    if (pool.antiAffinity && pool.count > 1) groups.push({ rule: `${cluster.name}-${pool.name}`, members: pool.count, path: ['workerPools', i, 'antiAffinity'] });
  });
  return groups;
}

/**
 * Each rule keeps its VMs on different ESXi hosts, so it needs at least as
 * many usable hosts as it has VMs; with exactly as many, losing one host
 * leaves a VM that vSphere HA can restart only against the rule.
 */
export function checkAntiAffinity(groups: readonly AntiAffinityGroup[], hosts: readonly Host[], computeResource: string): CheckResult {
  const usable = hosts.filter((h) => h.usable);
  const unusable = hosts.filter((h) => !h.usable).map((h) => h.name);
  const note = unusable.length === 0 ? '' : ` (${unusable.join(', ')} disconnected or in maintenance mode)`;
  const problems: Finding[] = [];
  const warnings: Finding[] = [];
  for (const g of groups) {
    if (g.members > usable.length) {
      problems.push({ path: g.path, message: `DRS rule ${g.rule} keeps ${g.members} VMs on different ESXi hosts, and ${computeResource} has ${usable.length} usable host${usable.length === 1 ? '' : 's'}${note}; add hosts, lower the count, or turn antiAffinity off` });
    } else if (g.members === usable.length) {
      warnings.push({ path: g.path, message: `DRS rule ${g.rule} needs every one of ${computeResource}'s ${usable.length} usable hosts: with one host lost, one of its VMs has nowhere to go under the rule` });
    }
  }
  return { problems, warnings };
}
