import { Construct } from 'constructs';
import type { ITerraformDependable } from '../cdk.ts';
import { TerraformData } from './terraform-data.ts';
import { PROJECT_DIR_FROM_STACK } from '../project.ts';

export interface TeardownSignalProps {
  readonly environment: string;
  /** The node removal hooks: this resource depends on them, so a destroy removes it before any of them. */
  readonly nodeRemoval: ITerraformDependable;
}

/**
 * A resource that only `cdktf destroy <env>` removes (nothing replaces it),
 * and removes before every node's removal hook: its destroy-time provisioner
 * tells those hooks that the whole environment goes, so they reset their
 * nodes instead of draining them and walking etcd down member by member, and
 * the guard that refuses to remove the last etcd member stays out of the way.
 * A lowered count or a replaced machine never touches it.
 */
export class TeardownSignal extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: TeardownSignalProps) {
    super(scope, id);
    this.resource = new TerraformData(this, 'resource', {
      name: 'teardown',
      dependsOn: [props.nodeRemoval],
      provisioners: [
        {
          type: 'local-exec',
          when: 'destroy',
          workingDir: PROJECT_DIR_FROM_STACK,
          // $PPID is the Terraform process (local-exec runs `/bin/sh -c`): the hooks of the same run pass the same.
          command: `node bin/herd.mjs teardown-begins ${props.environment} --terraform-pid $PPID`,
        },
      ],
    });
  }
}
