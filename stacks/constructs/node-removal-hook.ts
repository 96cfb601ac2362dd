import { Construct } from 'constructs';
import { TerraformIterator, Token, type ITerraformDependable } from '../cdk.ts';
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
  readonly pool?: string;
}

export interface NodeRemovalHookProps {
  readonly environment: string;
  readonly nodes: readonly NodeIdentity[];
  /** Seconds `herd node remove` may take, once it is this node's turn, before it gives up on an unreachable node. */
  readonly timeoutSeconds: number;
  /** The resource's name in the plan; `node_removal` unless said. */
  readonly resourceName?: string;
  /** Only the nodes whose pool this list variable names (`var.herd_surge`: surge nodes exist while a roll asks for them). */
  readonly onlyPoolsIn?: string;
  readonly dependsOn?: ITerraformDependable[];
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
      props.nodes.map((n) => [
        n.name,
        { name: n.name, address: n.address, ...(n.machineId === undefined ? {} : { machine: n.machineId }), ...(n.pool === undefined ? {} : { pool: n.pool }) },
      ]),
    );
    // The filtered map goes through jsondecode: a literal inside a for expression, with no HCL quoting of our own.
    const each = TerraformIterator.fromMap(
      props.onlyPoolsIn === undefined ? forEach : Token.asAnyMap(`\${{ for k, v in jsondecode(${JSON.stringify(JSON.stringify(forEach))}) : k => v if contains(${props.onlyPoolsIn}, v.pool) }}`),
    );
    this.resource = new TerraformData(this, 'resource', {
      name: props.resourceName ?? 'node_removal',
      forEach: each,
      ...(props.dependsOn === undefined ? {} : { dependsOn: props.dependsOn }),
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
