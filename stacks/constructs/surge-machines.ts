import { Construct } from 'constructs';
import { TerraformVariable, Token } from '../cdk.ts';
import type { ClusterNode } from '../topology/topology.ts';
import type { NodeVm } from './node-vm.ts';
import { NodeRemovalHook } from './node-removal-hook.ts';

/** The list variable naming the pools whose surge nodes exist: empty but while `herd roll --surge` rolls them. */
export const SURGE_VARIABLE = 'herd_surge';

export interface SurgeMachinesProps {
  readonly environment: string;
  /** Every pool's surge nodes (stacks/topology/surge.ts). */
  readonly nodes: readonly ClusterNode[];
  /** Makes a surge node's VM, `count` of them (one or none). */
  readonly vm: (node: ClusterNode, count: number) => NodeVm;
  readonly removalTimeoutSeconds: number;
}

/**
 * The VMs `herd roll --surge` adds to a pool before its first node leaves:
 * each exists while the variable `herd_surge` names its pool, which only the
 * roll's own Terraform commands set. Any other apply (a plain `cdktf
 * deploy`) leaves the list empty and so destroys them, after their removal
 * hooks have taken them out of the cluster, as a lowered count would: a roll
 * that stopped half-way never leaves surge machines behind unnoticed.
 */
export class SurgeMachines extends Construct {
  constructor(scope: Construct, id: string, props: SurgeMachinesProps) {
    super(scope, id);
    const variable = new TerraformVariable(this, 'variable', {
      type: 'list(string)',
      default: [],
      description: 'worker pools whose surge nodes exist, while herd roll --surge rolls them; leave it empty',
    });
    variable.overrideLogicalId(SURGE_VARIABLE);
    const vms = props.nodes.map((node) => props.vm(node, Token.asNumber(`\${contains(var.${SURGE_VARIABLE}, ${JSON.stringify(node.pool)}) ? 1 : 0}`)));
    new NodeRemovalHook(this, 'removal', {
      environment: props.environment,
      nodes: props.nodes.map((n) => ({ name: n.name, address: n.address, pool: n.pool })),
      timeoutSeconds: props.removalTimeoutSeconds,
      resourceName: 'surge_removal',
      onlyPoolsIn: `var.${SURGE_VARIABLE}`,
      dependsOn: vms.map((vm) => vm.machine),
    });
  }
}
