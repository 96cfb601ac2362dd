import { App, TerraformResource, TerraformStack, listMapper } from '../cdk.ts';
import type { Construct } from 'constructs';
import {
  VirtualMachine,
  virtualMachineCdromToTerraform,
  virtualMachineCloneToTerraform,
  virtualMachineDiskToTerraform,
  virtualMachineNetworkInterfaceToTerraform,
  virtualMachineOvfDeployToTerraform,
  virtualMachineVappToTerraform,
  virtualMachineVtpmToTerraform,
  type VirtualMachineConfig,
} from '@cdktf/provider-vsphere/lib/virtual-machine/index.js';

type Attributes = Omit<VirtualMachineConfig, 'connection' | 'count' | 'dependsOn' | 'forEach' | 'lifecycle' | 'provider' | 'provisioners'>;

// The blocks, mapped as the provider's VirtualMachine maps them; attributes are written as they are, under their Terraform names.
// Typed as cdktf types its own mappers (any in, any out): the provider's take their block's struct.
type Mapper = ReturnType<typeof listMapper>;
const BLOCKS: Partial<Record<keyof Attributes, Mapper>> = {
  cdrom: listMapper(virtualMachineCdromToTerraform, true),
  clone: virtualMachineCloneToTerraform,
  disk: listMapper(virtualMachineDiskToTerraform, true),
  networkInterface: listMapper(virtualMachineNetworkInterfaceToTerraform, true),
  ovfDeploy: virtualMachineOvfDeployToTerraform,
  vapp: virtualMachineVappToTerraform,
  vtpm: virtualMachineVtpmToTerraform,
};

/** camelCase to Terraform's snake_case, as the provider's generated bindings name attributes. */
const terraformName = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * `vsphere_virtual_machine`, with the provider's config type and block
 * mappers and the same JSON as its VirtualMachine class writes (the stack
 * snapshots hold them to it), but without building that class: its
 * constructor makes two dozen output-reference objects herd never reads,
 * each capturing a stack trace, which was the largest part of synthesizing a
 * large cluster. `cdktf synth --hcl` still gets the provider's own HCL.
 */
export class VsphereVirtualMachine extends TerraformResource {
  readonly #config: VirtualMachineConfig;

  constructor(scope: Construct, id: string, config: VirtualMachineConfig) {
    super(scope, id, {
      terraformResourceType: VirtualMachine.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'vsphere' },
      ...(config.provider === undefined ? {} : { provider: config.provider }),
      ...(config.dependsOn === undefined ? {} : { dependsOn: config.dependsOn }),
      ...(config.lifecycle === undefined ? {} : { lifecycle: config.lifecycle }),
      ...(config.provisioners === undefined ? {} : { provisioners: config.provisioners }),
      ...(config.connection === undefined ? {} : { connection: config.connection }),
      ...(config.count === undefined ? {} : { count: config.count }),
      ...(config.forEach === undefined ? {} : { forEach: config.forEach }),
    });
    this.#config = config;
  }

  get id(): string {
    return this.getStringAttribute('id');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const { connection: _c, count: _n, dependsOn: _d, forEach: _f, lifecycle: _l, provider: _p, provisioners: _s, ...attributes } = this.#config;
    return Object.fromEntries(
      Object.entries(attributes)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [terraformName(key), BLOCKS[key as keyof Attributes]?.(value) ?? value]),
    );
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    // The provider's class knows each attribute's HCL type; built aside, for `--hcl` alone.
    const aside = new VirtualMachine(new TerraformStack(new App({ skipValidation: true }), 'hcl'), 'machine', this.#config);
    return (aside as unknown as { synthesizeHclAttributes(): Record<string, unknown> }).synthesizeHclAttributes();
  }
}
