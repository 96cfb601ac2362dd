import { Command, InvalidArgumentError } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadEnvironmentByName, type Environment } from '../../../stacks/environment/load.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { forget, knownHostsPath } from '../../ssh/known-hosts.ts';
import { environmentLab, labTarget, startEnvironmentLab } from '../../lab/environment.ts';
import { labStatus, openLab, rebuildLabHost, stopLab, type HostStatus, type RouterStatus } from '../../lab/lab.ts';
import { ensureRequirements, requirements } from '../../lab/requirements.ts';
import { environmentsDir } from '../environments.ts';
import { formatTable } from '../table.ts';

const LAB_NOTE = 'Lab hosts are sandboxes on this machine; kubeadm, kubelet, kubectl and the other Kubernetes tools there are simulators.';
const FABRIC_NOTE = 'On a fabric, each node runs real BIRD (calico-node simulated around it) and each BGP peer is a real FRR.';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

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

function printStatus(hosts: readonly HostStatus[], routers: readonly RouterStatus[] = []): void {
  const rows = hosts.map((h) => [h.name, h.address, h.pid === null ? '-' : String(h.pid), h.running ? 'running' : 'stopped', h.ssh]);
  process.stdout.write(formatTable(['NAME', 'ADDRESS', 'PID', 'PROCESS', 'SSH'], rows));
  if (routers.length === 0) return;
  process.stdout.write(`
${formatTable(['ROUTER', 'ADDRESS', 'FRR'], routers.map((r) => [r.name, r.address, r.running ? 'running' : 'stopped']))}`);
}

/** Routers of a running lab, if it has a fabric. */
function routersOf(stateDir: string): RouterStatus[] {
  try {
    return openLab(stateDir).routers;
  } catch {
    return [];
  }
}

export function labCommand(): Command {
  const lab = new Command('lab').description(`run the lab: SSH hosts on this machine that look like fresh VMs (needs root). ${LAB_NOTE}`);

  lab
    .command('up')
    .description("start the lab's hosts: those the environment's nodes need, or --hosts N from its host list; hosts already running are kept")
    .option('--env <name>', 'the static environment whose hosts the lab plays', 'lab')
    .option('--hosts <n>', 'start the first N hosts of infrastructure.hosts (spares included)', positiveInt)
    .action(async (opts: { env: string; hosts?: number }, command: Command) => {
      const env = loadEnvironmentByName(opts.env, environmentsDir(command));
      const options = opts.hosts === undefined ? {} : { count: opts.hosts };
      // Refusals of the file first (a missing password, a peer the lab cannot play), then what the machine lacks.
      const { target: t, routers } = environmentLab(env, options);
      ensureRequirements(requirements({ fabric: t.isolated !== undefined, routers: routers.length > 0 }));
      const started = Date.now();
      const running = await startEnvironmentLab(env, options);
      printStatus(await running.status(), running.routers);
      const key = relative(process.cwd(), running.keyFile) || running.keyFile;
      const first = running.hosts[0]?.address ?? '<address>';
      // ssh -J would not log in to the bastion with -i's key: the jump goes through a ProxyCommand that does.
      const login = running.bastion
        ? `ssh -i ${key} -o ProxyCommand='ssh -i ${key} -W %h:%p ${running.user}@${running.bastion.address}' ${running.user}@${first}`
        : `ssh -i ${key} ${running.user}@${first}`;
      process.stdout.write(
        `\n${plural(running.hosts.length, 'lab host')}${routers.length > 0 ? ` and ${plural(routers.length, 'router')}` : ''} up in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
          `Log in with: ${login}\n${LAB_NOTE}${t.isolated ? `\n${FABRIC_NOTE}` : ''}\n`,
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
      const routers = routersOf(t.stateDir);
      await stopLab(t.stateDir);
      const forgotten = await forgetLabMachines(env, hosts.map((h) => h.address));
      const bastions = hosts.filter((h) => h.address === t.isolated?.bastion.address).length;
      const counted = [
        plural(hosts.length - bastions, 'host'),
        ...(bastions > 0 ? ['the bastion'] : []),
        ...(routers.length > 0 ? [plural(routers.length, 'router')] : []),
      ];
      process.stdout.write(
        `lab stopped (${counted.join(', ')}); ${t.stateDir} cleaned` +
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
      printStatus(hosts, routersOf(t.stateDir));
    });

  return lab;
}
