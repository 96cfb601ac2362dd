import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError, formatIssue } from '../../../stacks/environment/errors.ts';
import { preflight } from '../../vsphere/preflight.ts';
import { capacityTable, stepsTable } from '../../vsphere/report.ts';
import { environmentsDir } from '../environments.ts';

// `cdktf deploy` runs this before any vSphere resource (terraform_data.preflight);
// alone it prints the capacity table. Exit codes: 0 passed (warnings
// included); 2 a problem found, nothing touched; 1 vCenter could not be asked.
export function preflightCommand(): Command {
  return new Command('preflight')
    .description("check a vSphere environment against vCenter before anything is created (read-only): every name it uses, the template, capacity with room to lose one ESXi host (N+1), DRS anti-affinity; prints the capacity table")
    .argument('<env>', 'environment name')
    .option('--timings', 'also print the round trips to vCenter and the time of each step')
    .action(async (envName: string, opts: { timings?: boolean }, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      if (env.spec.infrastructure.type !== 'vsphere') {
        process.stdout.write(`${env.name}: static hosts, no vSphere to check\n`);
        return;
      }
      const report = await preflight(env);
      const out = (text: string): boolean => process.stdout.write(text);
      out(`${env.name}: vCenter ${report.server}, datacenter ${env.spec.infrastructure.datacenter}\n`);
      out(capacityTable(report));
      for (const warning of report.warnings) out(`WARNING: ${formatIssue(warning)}\n`);
      if (opts.timings === true) out(stepsTable(report));
      if (report.problems.length > 0) throw new ConfigError(report.problems);
      out(`${env.name}: preflight passed\n`);
    });
}
