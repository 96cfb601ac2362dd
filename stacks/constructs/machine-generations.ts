import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from '../cdk.ts';
import type { VsphereVirtualMachine } from './virtual-machine.ts';
import { MACHINE_SPEC_KEY, escapeTemplate } from './node-vm.ts';

export interface MachineGenerationsProps {
  readonly environment: string;
  /** Per node: its VM, and the machine spec the environment asks for now. */
  readonly machines: ReadonlyMap<string, { readonly vm: VsphereVirtualMachine; readonly spec: string }>;
}

/** The name of the output `herd roll` reads: node → the machine spec its VM was built with. */
export const MACHINES_OUTPUT = 'machines';

/**
 * Which VMs were built as the environment asks now. Terraform keeps each VM
 * as built (node-vm.ts, MACHINE_ATTRIBUTES), so a plan alone would show no
 * change for a new template: instead, a check block compares each VM's
 * recorded spec with the wanted one, and `cdktf diff` / `terraform plan` warn
 * once per VM built otherwise, naming `herd roll`; the output `machines` is
 * what the roll reads. A VM built before herd recorded its spec counts as
 * out of date.
 */
export class MachineGenerations extends Construct {
  constructor(scope: Construct, id: string, props: MachineGenerationsProps) {
    super(scope, id);
    const built = (vm: VsphereVirtualMachine): string => `lookup(${vm.terraformResourceType}.${vm.friendlyUniqueId}.extra_config, ${JSON.stringify(MACHINE_SPEC_KEY)}, "")`;
    const asserts = [...props.machines].map(([name, { vm, spec }]) => ({
      condition: `\${${built(vm)} == ${JSON.stringify(escapeTemplate(spec))}}`,
      error_message: `${name} was built as "\${${built(vm)}}", the environment now asks for "${escapeTemplate(spec)}": \`herd roll ${props.environment}\` replaces it, one batch at a time.`,
    }));
    TerraformStack.of(this).addOverride('check.machines.assert', asserts);
    new TerraformOutput(this, 'output', {
      description: 'per node, the machine spec its VM was built with (herd roll compares it with the environment)',
      value: Object.fromEntries([...props.machines].map(([name, { vm }]) => [name, `\${${built(vm)}}`])),
    }).overrideLogicalId(MACHINES_OUTPUT);
  }
}
