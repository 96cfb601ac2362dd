import { Construct } from 'constructs';
import { ComputeClusterVmAntiAffinityRule } from '@cdktf/provider-vsphere/lib/compute-cluster-vm-anti-affinity-rule/index.js';

export interface AntiAffinityRuleProps {
  /** The rule's name in vCenter, e.g. prod-cp. */
  readonly name: string;
  readonly computeClusterId: string;
  /** Ids of the VMs to keep apart. */
  readonly machineIds: readonly string[];
}

/**
 * A DRS rule that keeps a group's VMs on different ESXi hosts, so one host
 * failure takes out at most one control plane (or one node of a pool).
 */
export class AntiAffinityRule extends Construct {
  constructor(scope: Construct, id: string, props: AntiAffinityRuleProps) {
    super(scope, id);
    const rule = new ComputeClusterVmAntiAffinityRule(this, 'rule', {
      name: props.name,
      computeClusterId: props.computeClusterId,
      virtualMachineIds: [...props.machineIds],
    });
    rule.overrideLogicalId(`anti_affinity_${props.name}`);
  }
}
