import { Construct } from 'constructs';
import { TerraformIterator } from '../cdk.ts';
import { TerraformData } from './terraform-data.ts';
import { PROJECT_DIR_FROM_STACK } from '../project.ts';

/** What the destroy-time command needs to know about a node, read back from state when the node goes. */
export interface NodeIdentity {
  readonly name: string;
  readonly address: string;
  /**
   * The VM's id: a replaced VM also replaces (and so runs) its node's hook, and
   * the reference makes Terraform destroy the hook before the VM.
   */
  readonly machineId?: string;
}

export interface NodeRemovalHookProps {
  readonly environment: string;
  readonly nodes: readonly NodeIdentity[];
  /** Seconds `herd node remove` may take, once it is this node's turn, before it gives up on an unreachable node. */
  readonly timeoutSeconds: number;
}

/**
 * One `terraform_data` instance per node whose destroy-time provisioner runs
 * `herd node remove`: it takes the node out of Kubernetes and forgets its host
 * key before the VM goes.
 *
 * A single resource with for_each, not one resource per node: Terraform runs a
 * destroy-time provisioner only while its resource block is still in the
 * configuration, so a node removed by lowering a count must be an instance
 * that disappears from for_each, not a block that disappears from the JSON.
 * Destroy provisioners may only read `self`, hence name and address travel in
 * triggers_replace.
 *
 * A failing hook fails the destroy, and the VM stays: `herd node remove`
 * fails only when it refuses (etcd would lose quorum, or the node holds the
 * only copy of the cluster) or when draining did not finish (a
 * PodDisruptionBudget holds). A node or a cluster that cannot be reached is a
 * warning and success, so a dead VM can always go.
 */
export class NodeRemovalHook extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: NodeRemovalHookProps) {
    super(scope, id);
    const forEach = Object.fromEntries(
      props.nodes.map((n) => [n.name, { name: n.name, address: n.address, ...(n.machineId === undefined ? {} : { machine: n.machineId }) }]),
    );
    const each = TerraformIterator.fromMap(forEach);
    this.resource = new TerraformData(this, 'resource', {
      name: 'node_removal',
      forEach: each,
      triggersReplace: each.value,
      provisioners: [
        {
          type: 'local-exec',
          when: 'destroy',
          workingDir: PROJECT_DIR_FROM_STACK,
          // Names are DNS labels and addresses dotted quads (both validated), so the shell sees no metacharacters.
          // $PPID, the Terraform process, lets the hook recognise a destroy of the whole stack (TeardownSignal).
          command:
            `node bin/herd.mjs node remove ${props.environment} \${self.triggers_replace.name} --address \${self.triggers_replace.address} ` +
            `--timeout ${props.timeoutSeconds} --terraform-pid $PPID`,
          onFailure: 'fail',
        },
      ],
    });
  }
}
