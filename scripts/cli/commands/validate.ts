import { Command } from 'commander';
import { listEnvironments, loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError, type ConfigIssue } from '../../../stacks/environment/errors.ts';
import { environmentsDir } from '../environments.ts';
import { printWarnings } from '../warnings.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check environment files; with no names, every environment')
    .argument('[env...]', 'environment names (file names under the environments folder, without .yaml)')
    .action((names: string[], _opts, command: Command) => {
      const dir = environmentsDir(command);
      const issues: ConfigIssue[] = [];
      for (const name of names.length > 0 ? names : listEnvironments(dir)) {
        try {
          const env = loadEnvironmentByName(name, dir);
          process.stdout.write(`${name}: valid\n`);
          printWarnings(env);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          issues.push(...err.issues);
        }
      }
      if (issues.length > 0) throw new ConfigError(issues);
    });
}
