import { Command } from 'commander';
import { nodeRemoveCommand } from './node-remove.ts';

export function nodeCommand(): Command {
  return new Command('node').description('act on one node of an environment').addCommand(nodeRemoveCommand());
}
