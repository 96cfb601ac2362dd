import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from './project.ts';

/** The quiet Terraform CLI configuration shipped with herd. */
export const TERRAFORM_CLI_CONFIG_FILE = join(PROJECT_DIR, 'terraform.rc');

/**
 * The environment the tests and benchmarks run `cdktf` or `terraform` with: no
 * checkpoint calls from cdktf (its telemetry) or Terraform, and always herd's
 * CLI configuration, whatever this machine has. cdktf reads CHECKPOINT_DISABLE
 * itself at start-up, so it has to be set by whoever starts cdktf, not by the
 * app.
 */
export function quietTerraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: TERRAFORM_CLI_CONFIG_FILE };
}

/**
 * The environment herd runs the CDK CLI and Terraform in for an operator
 * (herd deploy, herd roll): no checkpoint calls (cdktf's and Terraform's
 * version and telemetry checks, which print network errors offline), and a
 * Terraform CLI configuration that exists. An operator's own configuration
 * (provider mirrors, credentials) is kept; herd's quiet terraform.rc stands in
 * only where none is found, or where TF_CLI_CONFIG_FILE names a file that does
 * not exist, which Terraform warns about on every run.
 */
export function operatorTerraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const configured = base['TF_CLI_CONFIG_FILE'];
  const own = configured !== undefined && configured !== '' ? existsSync(configured) : existsSync(join(base['HOME'] ?? homedir(), '.terraformrc'));
  return { ...base, CHECKPOINT_DISABLE: '1', ...(own ? {} : { TF_CLI_CONFIG_FILE: TERRAFORM_CLI_CONFIG_FILE }) };
}
