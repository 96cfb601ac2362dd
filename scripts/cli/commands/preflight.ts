import { Command } from 'commander';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { ConfigError, formatIssue } from '../../../stacks/environment/errors.ts';
import { capacityTable, stepsTable } from '../../vsphere/report.ts';
import { environmentsDir } from '../environments.ts';
import { NothingChangedError } from '../../provisioner/refused.ts';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']);

// `cdktf deploy` runs this before any vSphere resource (terraform_data.preflight);
// alone it prints the capacity table. Exit codes: 0 passed (warnings
// included); 2 a problem found, or vCenter unreachable: nothing touched
// either way; 1 vCenter answered with a fault herd did not expect.
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
      const { preflight } = await import('../../vsphere/preflight.ts');
      const report = await preflight(env).catch((err: unknown) => {
        const code = (err as { cause?: { code?: string }; code?: string }).cause?.code ?? (err as { code?: string }).code;
        if (code === undefined || !UNREACHABLE.has(code)) throw err;
        throw new NothingChangedError(`cannot reach vCenter: ${err instanceof Error ? err.message : String(err)}. Check infrastructure.server (or VSPHERE_SERVER), that vCenter answers on port 443, and firewalls between here and it. Nothing was created.`);
      });
      const out = (text: string): boolean => process.stdout.write(text);
      out(`${env.name}: vCenter ${report.server}, datacenter ${env.spec.infrastructure.datacenter}\n`);
      out(capacityTable(report));
      for (const warning of report.warnings) out(`WARNING: ${formatIssue(warning)}\n`);
      if (opts.timings === true) out(stepsTable(report));
      if (report.problems.length > 0) throw new ConfigError(report.problems);
      out(`${env.name}: preflight passed\n`);
    });
}
