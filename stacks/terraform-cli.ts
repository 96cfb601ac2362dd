import { join } from 'node:path';
import { PROJECT_DIR } from './project.ts';

/** The quiet Terraform CLI configuration shipped with herd. */
export const TERRAFORM_CLI_CONFIG_FILE = join(PROJECT_DIR, 'terraform.rc');

/**
 * The environment to run `cdktf` or `terraform` with: no checkpoint calls from
 * cdktf (its telemetry) or Terraform, and herd's CLI configuration. cdktf reads
 * CHECKPOINT_DISABLE itself at start-up, so it has to be set by whoever starts
 * cdktf, not by the app.
 */
export function quietTerraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: TERRAFORM_CLI_CONFIG_FILE };
}
