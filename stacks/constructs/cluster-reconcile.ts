import { Construct } from 'constructs';
import type { ITerraformDependable } from '../cdk.ts';
import { TerraformData } from './terraform-data.ts';
import { PROJECT_DIR_FROM_STACK } from '../project.ts';

export interface ClusterReconcileProps {
  readonly environment: string;
  /** desiredStateHash of the cluster: a change replaces this resource, which runs the provisioner. */
  readonly desiredState: string;
  /** Node name → VM id: a VM that was replaced (tainted, recreated) gets provisioned although nothing else changed. */
  readonly machineIds?: Readonly<Record<string, string>>;
  /** Everything the provisioner needs to exist first: every VM and the node removal hooks. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The cluster-level step of `cdktf deploy`: after the machines exist, run
 * `herd apply <env>`. A failing provisioner fails the deploy and leaves this
 * resource tainted, so the next deploy runs it again.
 *
 * Terraform saves a resource in its state before it runs the resource's
 * provisioner, so a Terraform killed meanwhile can leave `reconcile` recorded
 * as created although `herd apply` never finished, and the next plan has
 * nothing to do. `reconciled` is created only after the provisioner finished,
 * replaced with every new `reconcile`: the state tells a finished step from an
 * interrupted one (scripts/deploy/converged.ts).
 */
export class ClusterReconcile extends Construct {
  readonly resource: TerraformData;
  readonly finished: TerraformData;

  constructor(scope: Construct, id: string, props: ClusterReconcileProps) {
    super(scope, id);
    this.resource = new TerraformData(this, 'resource', {
      name: 'reconcile',
      dependsOn: props.dependsOn,
      triggersReplace: { desiredState: props.desiredState, ...(props.machineIds === undefined ? {} : { machines: props.machineIds }) },
      provisioners: [
        {
          type: 'local-exec',
          workingDir: PROJECT_DIR_FROM_STACK,
          command: `node bin/herd.mjs apply ${props.environment}`,
        },
      ],
    });
    this.finished = new TerraformData(this, 'finished', {
      name: 'reconciled',
      triggersReplace: { reconcile: this.resource.getStringAttribute('id') },
    });
  }
}
