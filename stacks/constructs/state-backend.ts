import { LocalBackend, TerraformBackend, type TerraformRemoteState } from '../cdk.ts';
import type { Construct } from 'constructs';
import type { StateSpec } from '../environment/schema.ts';
import { environmentStateDirFromStack } from '../project.ts';
import { pgSchemaName, s3StateKey } from '../state-location.ts';

export interface StateBackendProps {
  readonly environment: string;
  readonly state: StateSpec;
}

/**
 * A backend block written with Terraform's own argument names. cdktf's PgBackend
 * insists on conn_str and its S3Backend lacks use_lockfile; herd writes neither
 * secrets nor credentials, so the backends read them from their environment
 * variables (PG_CONN_STR, AWS_*, TF_HTTP_*) and nothing secret reaches cdk.tf.json
 * or .terraform/.
 */
class RemoteBackend extends TerraformBackend {
  constructor(scope: Construct, type: string, private readonly attributes: Readonly<Record<string, unknown>>) {
    super(scope, 'backend', type);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { ...this.attributes };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { ...this.attributes };
  }

  getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error('herd stacks do not read each other’s state');
  }
}

/** Where Terraform keeps one environment's state: the environment file's `state` choice. */
export function stateBackend(scope: Construct, props: StateBackendProps): TerraformBackend {
  const { environment, state } = props;
  switch (state.type) {
    case 'local':
      return new LocalBackend(scope, { path: `${environmentStateDirFromStack(environment)}/terraform.tfstate` });
    case 'pg':
      return new RemoteBackend(scope, 'pg', { schema_name: pgSchemaName(environment, state) });
    case 's3':
      return new RemoteBackend(scope, 's3', {
        bucket: state.bucket,
        key: s3StateKey(environment, state),
        region: state.region,
        encrypt: true,
        ...(state.useLockfile ? { use_lockfile: true } : { dynamodb_table: state.dynamodbTable }),
        // An S3-compatible service answers at its own address, by path, and has no AWS account or STS to ask.
        ...(state.endpoint === undefined
          ? {}
          : { endpoints: { s3: state.endpoint }, use_path_style: true, skip_credentials_validation: true, skip_requesting_account_id: true, skip_region_validation: true }),
      });
    case 'http':
      return new RemoteBackend(scope, 'http', {
        address: state.address,
        lock_address: state.lockAddress,
        unlock_address: state.unlockAddress ?? state.lockAddress,
      });
  }
}
