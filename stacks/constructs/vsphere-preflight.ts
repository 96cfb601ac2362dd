import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
import { TerraformData } from './terraform-data.ts';
import { PROJECT_DIR_FROM_STACK } from '../project.ts';
import type { Cluster } from '../topology/topology.ts';

export interface VspherePreflightProps {
  readonly cluster: Cluster;
}

/**
 * `herd preflight <env>` as the first step of `cdktf deploy`: every vSphere
 * resource of the stack depends on it (dependOnPreflight), so a name that does
 * not exist, a template unfit for the clone type, too little capacity or too
 * few hosts for a DRS rule fails the deploy before Terraform creates anything,
 * rather than after it created the tags. It runs again whenever the vSphere
 * footprint changes (infrastructure, node sizes and count); a failed run
 * leaves it tainted, so the next deploy runs it again. Its command holds no
 * secret: the credentials come from the provider's VSPHERE_* variables, which
 * the provisioner inherits from cdktf.
 */
export class VspherePreflight extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: VspherePreflightProps) {
    super(scope, id);
    const { cluster } = props;
    this.resource = new TerraformData(this, 'resource', {
      name: 'preflight',
      triggersReplace: { footprint: vsphereFootprint(cluster) },
      provisioners: [{ type: 'local-exec', workingDir: PROJECT_DIR_FROM_STACK, command: `node bin/herd.mjs preflight ${cluster.name}` }],
    });
  }

  /** Makes every vSphere resource under `scope` wait for the preflight; data sources are read at plan time and need not. */
  dependOnPreflight(scope: IConstruct): void {
    // The address as Terraform's depends_on wants it, without interpolation braces (fqn has them).
    const address = `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}`;
    for (const c of scope.node.findAll()) {
      if (TerraformResource.isTerraformResource(c) && c.terraformResourceType.startsWith('vsphere_')) {
        c.dependsOn = [...(c.dependsOn ?? []), address];
      }
    }
  }
}

/** What the preflight checks, as a digest: a change of it is a change the preflight must see first. */
function vsphereFootprint(cluster: Cluster): string {
  const nodes = cluster.nodes.map((n) => [n.name, n.cpu, n.memoryMiB, n.diskGiB, n.dataDiskGiB ?? 0]);
  const pools = { controlPlane: cluster.spec.controlPlane.antiAffinity, workers: cluster.spec.workerPools.map((p) => p.antiAffinity) };
  return createHash('sha256').update(JSON.stringify({ infrastructure: cluster.spec.infrastructure, nodes, pools })).digest('hex');
}
