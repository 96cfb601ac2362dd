import { Command, InvalidArgumentError } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadEnvironmentByName, type Environment } from '../../../stacks/environment/load.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { forget, knownHostsPath } from '../../ssh/known-hosts.ts';
import { labTarget } from '../../lab/environment.ts';
import { labStatus, rebuildLabHost, startLab, stopLab, type HostStatus } from '../../lab/lab.ts';
import { environmentsDir } from '../environments.ts';
import { formatTable } from '../table.ts';

const LAB_NOTE = 'Lab hosts are sandboxes on this machine; kubeadm, kubelet, kubectl and the other Kubernetes tools there are simulators.';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function target(command: Command, env: string, count?: number): ReturnType<typeof labTarget> {
  return labTarget(loadEnvironmentByName(env, environmentsDir(command)), count);
}

/**
 * The lab's hosts are the environment's machines: once they are gone, so is
 * what Terraform and known_hosts recorded about them, or the next `lab up`
 * would meet new host keys as an attack and `cdktf deploy` would think the
 * new hosts provisioned already.
 */
async function forgetLabMachines(env: Environment, addresses: readonly string[]): Promise<string[]> {
  const forgotten: string[] = [];
  const dropped = await forget(knownHostsPath(env), addresses, env.spec.ssh.port);
  if (dropped > 0) forgotten.push(`${dropped} known_hosts entr${dropped === 1 ? 'y' : 'ies'}`);
  for (const file of ['terraform.tfstate', 'terraform.tfstate.backup']) {
    const path = join(environmentStateDir(env.name), file);
    if (existsSync(path)) {
      rmSync(path);
      forgotten.push(file);
    }
  }
  return forgotten;
}

function printStatus(hosts: readonly HostStatus[]): void {
  const rows = hosts.map((h) => [h.name, h.address, h.pid === null ? '-' : String(h.pid), h.running ? 'running' : 'stopped', h.ssh]);
  process.stdout.write(formatTable(['NAME', 'ADDRESS', 'PID', 'PROCESS', 'SSH'], rows));
}

export function labCommand(): Command {
  const lab = new Command('lab').description(`run the lab: SSH hosts on this machine that look like fresh VMs (needs root). ${LAB_NOTE}`);

  lab
    .command('up')
    .description("start the lab's hosts: those the environment's nodes need, or --hosts N from its host list; hosts already running are kept")
    .option('--env <name>', 'the static environment whose hosts the lab plays', 'lab')
    .option('--hosts <n>', 'start the first N hosts of infrastructure.hosts (spares included)', positiveInt)
    .action(async (opts: { env: string; hosts?: number }, command: Command) => {
      const t = target(command, opts.env, opts.hosts);
      const started = Date.now();
      const running = await startLab({ stateDir: t.stateDir, keyFile: t.keyFile, user: t.user, hosts: t.hosts });
      printStatus(await running.status());
      const key = relative(process.cwd(), running.keyFile) || running.keyFile;
      process.stdout.write(
        `\n${running.hosts.length} lab host${running.hosts.length === 1 ? '' : 's'} up in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
          `Log in with: ssh -i ${key} ${running.user}@${running.hosts[0]?.address ?? '<address>'}\n${LAB_NOTE}\n`,
      );
    });

  lab
    .command('down')
    .description("stop every lab host (by PID), remove what the lab created, and forget the environment's records of those machines (known_hosts entries, Terraform state)")
    .option('--env <name>', 'the environment whose lab to stop', 'lab')
    .action(async (opts: { env: string }, command: Command) => {
      const env = loadEnvironmentByName(opts.env, environmentsDir(command));
      const t = labTarget(env);
      const hosts = await labStatus(t.stateDir);
      await stopLab(t.stateDir);
      const forgotten = await forgetLabMachines(env, hosts.map((h) => h.address));
      process.stdout.write(
        `lab stopped (${hosts.length} host${hosts.length === 1 ? '' : 's'}); ${t.stateDir} cleaned` +
          `${forgotten.length > 0 ? `; forgot ${forgotten.join(', ')} of the ${env.name} environment` : ''}\n`,
      );
    });

  lab
    .command('rebuild')
    .description('start one lab host afresh under its name and address, as a re-imaged machine: an empty disk and a new host key (what `herd roll --reimage-command` can call for a static environment on the lab)')
    .argument('<host>', 'the lab host, e.g. lab-worker-1')
    .option('--env <name>', 'the environment whose lab it belongs to', 'lab')
    .action(async (host: string, opts: { env: string }, command: Command) => {
      const t = target(command, opts.env);
      const started = Date.now();
      const rebuilt = await rebuildLabHost(t.stateDir, host);
      process.stdout.write(`${host} (${rebuilt.address}) rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s: empty disk, new host key\n`);
    });

  lab
    .command('status')
    .description('show each lab host: address, process, and whether its sshd answers')
    .option('--env <name>', 'the environment whose lab to show', 'lab')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { env: string; json?: boolean }, command: Command) => {
      const t = target(command, opts.env);
      const hosts = await labStatus(t.stateDir);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(hosts, null, 2)}\n`);
        return;
      }
      if (hosts.length === 0) {
        process.stdout.write(`no lab running in ${t.stateDir}\n`);
        return;
      }
      printStatus(hosts);
    });

  return lab;
}
