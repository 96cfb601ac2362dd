import { Construct } from 'constructs';
import { TerraformOutput } from '../cdk.ts';
import type { Cluster } from '../topology/topology.ts';

export interface ClusterOutputsProps {
  readonly cluster: Cluster;
}

/** What `cdktf output <env>` shows: the node inventory and where the Kubernetes API answers. */
export class ClusterOutputs extends Construct {
  constructor(scope: Construct, id: string, props: ClusterOutputsProps) {
    super(scope, id);
    const { cluster } = props;
    new TerraformOutput(this, 'nodes', {
      description: 'node inventory: name, role, pool, address',
      value: cluster.nodes.map((n) => ({ name: n.name, role: n.role, pool: n.pool, address: n.address })),
    }).overrideLogicalId('nodes');
    new TerraformOutput(this, 'apiEndpoint', {
      description: 'the Kubernetes API endpoint',
      value: `https://${cluster.apiEndpoint.host}:${cluster.apiEndpoint.port}`,
    }).overrideLogicalId('apiEndpoint');
  }
}
