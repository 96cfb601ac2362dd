import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { VsphereProvider, type VsphereProviderConfig } from '@cdktf/provider-vsphere/lib/provider/index.js';
import type { VsphereInfrastructureSpec } from '../environment/schema.ts';

export interface VsphereConnectionProps {
  readonly infrastructure: VsphereInfrastructureSpec;
}

/**
 * The vSphere provider. User and password are left out on purpose: the
 * provider reads VSPHERE_USER and VSPHERE_PASSWORD itself, so they never reach
 * the synthesized JSON or the state. The bindings mark them required only
 * because the provider schema does (with an environment default).
 */
const CREDENTIALS_FROM_ENVIRONMENT = {} as Pick<VsphereProviderConfig, 'user' | 'password'>;

/**
 * Patch releases of the provider the bindings were generated from (2.15.0),
 * which herd's stacks were applied with against vCenter's simulator; a minor
 * release may change what the bindings write, so it waits for new bindings.
 */
export const VSPHERE_PROVIDER_VERSION = '~> 2.15.0';

export class VsphereConnection extends Construct {
  readonly provider: VsphereProvider;

  constructor(scope: Construct, id: string, props: VsphereConnectionProps) {
    super(scope, id);
    const infra = props.infrastructure;
    this.provider = new VsphereProvider(this, 'provider', {
      ...CREDENTIALS_FROM_ENVIRONMENT,
      // Left out, the provider reads VSPHERE_SERVER.
      vsphereServer: infra.server,
      // Always written: left out, the provider would take VSPHERE_ALLOW_UNVERIFIED_SSL from the operator's shell.
      allowUnverifiedSsl: infra.allowUnverifiedSsl,
    });
    TerraformStack.of(this).addOverride('terraform.required_providers.vsphere.version', VSPHERE_PROVIDER_VERSION);
  }
}
