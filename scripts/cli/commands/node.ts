import { Command } from 'commander';
import { nodeRemoveCommand } from './node-remove.ts';
import { nodeReplaceCommand } from './node-replace.ts';

export function nodeCommand(): Command {
  return new Command('node').description('act on one node of an environment').addCommand(nodeRemoveCommand()).addCommand(nodeReplaceCommand());
}
