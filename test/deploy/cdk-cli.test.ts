import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseCdkCli } from '../../scripts/deploy/cdk-cli.ts';
import { TERRAFORM_CLI_CONFIG_FILE, operatorTerraformEnv } from '../../stacks/terraform-cli.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';

describe('chooseCdkCli', () => {
  const env = { PATH: '/nonexistent' };

  it('takes the project’s cdktf', () => {
    expect(chooseCdkCli('cdktf', env, 'v20.20.2')).toEqual({ name: 'cdktf', path: join(PROJECT_DIR, 'node_modules', '.bin', 'cdktf') });
  });

  it('refuses cdktn on a Node.js it does not run on, naming the way out, before anything runs', () => {
    expect(() => chooseCdkCli('cdktn', env, 'v20.20.2')).toThrow(
      'cdktn-cli@0.24.0 needs Node.js 22.19 or later; this is Node.js 20.20.2. Use --cli terraform (the default) or --cli cdktf, or a newer Node.js.\nNothing was changed.',
    );
  });

  it('refuses a CLI that is not installed, saying how to install it', () => {
    const bin = mkdtempSync(join(tmpdir(), 'herd-cli-bin-'));
    expect(() => chooseCdkCli('cdktn', { PATH: bin }, 'v22.19.0')).toThrow(`cdktn is not installed: run \`npm install --save-dev --save-exact cdktn-cli@0.24.0\` in ${PROJECT_DIR}`);
  });

  it('takes cdktn from PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'herd-cli-bin-'));
    writeFileSync(join(bin, 'cdktn'), '', { mode: 0o755 });
    expect(chooseCdkCli('cdktn', { PATH: bin }, 'v22.19.0')).toEqual({ name: 'cdktn', path: join(bin, 'cdktn') });
  });
});

describe('operatorTerraformEnv', () => {
  it('turns off checkpoint calls and keeps an operator’s own CLI configuration', () => {
    const own = join(mkdtempSync(join(tmpdir(), 'herd-tfrc-')), 'terraformrc');
    writeFileSync(own, 'provider_installation {}\n');
    expect(operatorTerraformEnv({ TF_CLI_CONFIG_FILE: own, HOME: '/nonexistent' })).toEqual({ TF_CLI_CONFIG_FILE: own, HOME: '/nonexistent', CHECKPOINT_DISABLE: '1' });
  });

  it('puts herd’s terraform.rc in place of a TF_CLI_CONFIG_FILE that names no file, which Terraform warns about on every run', () => {
    expect(operatorTerraformEnv({ TF_CLI_CONFIG_FILE: '/nonexistent/.terraformrc' })['TF_CLI_CONFIG_FILE']).toBe(TERRAFORM_CLI_CONFIG_FILE);
    expect(operatorTerraformEnv({ HOME: '/nonexistent' })['TF_CLI_CONFIG_FILE']).toBe(TERRAFORM_CLI_CONFIG_FILE);
  });
});
