import { Command } from 'commander';
import { validateCommand } from './commands/validate.ts';
import { nodesCommand } from './commands/nodes.ts';
import { schemaCommand } from './commands/schema.ts';
import { applyCommand, planCommand } from './commands/apply-plan.ts';
import { renderCommand } from './commands/render.ts';
import { peersCommand } from './commands/peers.ts';
import { forgetHostCommand } from './commands/forget-host.ts';
import { kubeconfigCommand } from './commands/kubeconfig.ts';
import { nodeCommand } from './commands/node.ts';
import { labCommand } from './commands/lab.ts';
import { resetCommand } from './commands/reset.ts';
import { teardownBeginsCommand } from './commands/teardown-begins.ts';
import { locksCommand } from './commands/locks.ts';
import { preflightCommand } from './commands/preflight.ts';
import { versionsCommand } from './commands/versions.ts';
import { runCli } from './run.ts';

const program = new Command('herd')
  .description('Kubernetes clusters on VMware vSphere VMs, declared in TypeScript')
  .option('--environments <dir>', 'folder of environment files (default: stacks/environments)')
  .showHelpAfterError()
  .addCommand(validateCommand())
  .addCommand(nodesCommand())
  .addCommand(schemaCommand())
  .addCommand(renderCommand())
  .addCommand(peersCommand())
  .addCommand(preflightCommand())
  .addCommand(planCommand())
  .addCommand(applyCommand())
  .addCommand(nodeCommand())
  .addCommand(resetCommand())
  .addCommand(teardownBeginsCommand())
  .addCommand(locksCommand())
  .addCommand(versionsCommand())
  .addCommand(kubeconfigCommand())
  .addCommand(forgetHostCommand())
  .addCommand(labCommand());

await runCli(program, process.argv);
