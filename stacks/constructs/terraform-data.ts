import { TerraformResource, anyToHclTerraform, anyToTerraform, hashMapper, hashMapperHcl, type LocalExecProvisioner, type TerraformMetaArguments } from '../cdk.ts';
import type { Construct } from 'constructs';

/** A local-exec provisioner with Terraform's on_failure, which cdktf's type leaves out. */
export type LocalExec = LocalExecProvisioner & { readonly onFailure?: 'continue' | 'fail' };

export interface TerraformDataProps extends Omit<TerraformMetaArguments, 'provisioners'> {
  /** Replaces the resource (and so re-runs its create-time provisioners) when this value changes. */
  readonly triggersReplace?: unknown;
  readonly input?: unknown;
  readonly provisioners?: readonly LocalExec[];
  /** The resource name in the plan, e.g. `terraform_data.reconcile`; readable names make plans reviewable. */
  readonly name: string;
}

/**
 * Terraform's built-in `terraform_data`, written as a plain resource. cdktf's
 * own DataResource adds a validation that runs `terraform version` once per
 * instance (about 120 ms each); the JSON is the same without it.
 */
export class TerraformData extends TerraformResource {
  private readonly triggersReplace: unknown;
  private readonly input: unknown;

  constructor(scope: Construct, id: string, props: TerraformDataProps) {
    const { triggersReplace, input, provisioners, name, ...meta } = props;
    super(scope, id, { ...meta, terraformResourceType: 'terraform_data', provisioners: provisioners ? [...provisioners] : undefined });
    this.triggersReplace = triggersReplace;
    this.input = input;
    this.overrideLogicalId(name);
  }

  // The same mapping as cdktf's DataResource, so that JSON and `cdktf synth --hcl` come out as they would there.
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { input: hashMapper(anyToTerraform)(this.input), triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { input: hashMapperHcl(anyToHclTerraform)(this.input), triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersReplace) };
  }
}
