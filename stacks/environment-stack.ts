import { TerraformStack, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { Cluster } from './topology/topology.ts';

export interface EnvironmentStackProps {
  readonly cluster: Cluster;
}

/** The stack of one environment; the stacks issue fills in VMs and provisioning. */
export class EnvironmentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    new TerraformOutput(this, 'nodes', {
      value: props.cluster.nodes.map((n) => ({ name: n.name, role: n.role, pool: n.pool, address: n.address })),
    });
  }
}
