import { Command } from 'commander';
import { validateCommand } from './commands/validate.ts';
import { nodesCommand } from './commands/nodes.ts';
import { schemaCommand } from './commands/schema.ts';
import { labCommand } from './commands/lab.ts';
import { runCli } from './run.ts';

const program = new Command('herd')
  .description('Kubernetes clusters on VMware vSphere VMs, declared in TypeScript')
  .option('--environments <dir>', 'folder of environment files (default: stacks/environments)')
  .showHelpAfterError()
  .addCommand(validateCommand())
  .addCommand(nodesCommand())
  .addCommand(schemaCommand())
  .addCommand(labCommand());

await runCli(program, process.argv);
