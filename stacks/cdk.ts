// The one module that imports the CDK library; every construct and the app take
// it from here. herd builds its stacks with CDK Terrain (`cdktn`), the maintained
// continuation of CDK for Terraform, whose last release (cdktf 0.21) was archived
// in December 2025. The two write the same Terraform JSON for herd's stacks, so
// going back to cdktf is this import plus package.json (see docs/deploying.md,
// "Which CDK").
export {
  App,
  Fn,
  LocalBackend,
  TerraformBackend,
  TerraformIterator,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Token,
  anyToHclTerraform,
  anyToTerraform,
  hashMapper,
  hashMapperHcl,
  listMapper,
} from 'cdktn';
export type { IResolvable, ITerraformDependable, LocalExecProvisioner, TerraformMetaArguments, TerraformRemoteState } from 'cdktn';
