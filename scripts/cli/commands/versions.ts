import { Command } from 'commander';
import pLimit from 'p-limit';
import { join } from 'node:path';
import { ConfigError } from '../../../stacks/environment/errors.ts';
import { printWarnings } from '../warnings.ts';
import { listEnvironments, loadEnvironmentByName, type Environment } from '../../../stacks/environment/load.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { REVIEW_DUE_DAYS, agedOut, daysSinceReview, defaultPin } from '../../../stacks/versions/aging.ts';
import {
  VERSIONS_FILE,
  containerdConfigFormat,
  containerdLines,
  defaultVersions,
  kubernetesMinors,
  newClusterMinors,
  versionTable,
} from '../../../stacks/versions/table.ts';
import { today as todayFromEnvironment } from '../../../stacks/versions/today.ts';
import { connectNodes, sshCredentials } from '../../provisioner/connect-hosts.ts';
import { probe } from '../../provisioner/facts.ts';
import { Redactor } from '../../provisioner/redact.ts';
import { Reporter } from '../../provisioner/report.ts';
import { environmentsDir } from '../environments.ts';
import { formatTable } from '../table.ts';

const out = (text: string): void => void process.stdout.write(text);

function status(endOfLife: string, today: string, newClusters: boolean): string {
  if (endOfLife <= today) return 'end of life: upgrade from it';
  return newClusters ? 'supported' : 'supported: upgrade from it';
}

function printTable(today: string): void {
  const table = versionTable();
  const fresh = new Set(newClusterMinors().map((m) => m.minor));
  const tested = (minor: string): string =>
    Object.entries(table.calico.releases)
      .filter(([, r]) => r.kubernetes.includes(minor))
      .map(([release]) => release)
      .join(', ') || '-';
  out(`Table of versions ${VERSIONS_FILE}, reviewed ${table.reviewed}; today is ${today}.\n\n`);
  out(
    formatTable(
      ['KUBERNETES', 'NEWEST', 'RELEASED', 'END OF LIFE', 'STATUS', 'KUBEADM API', 'PAUSE', 'CONTAINERD', 'CALICO TESTED'],
      kubernetesMinors().map((m) => [m.minor, m.newestPatch, m.released, m.endOfLife, status(m.endOfLife, today, fresh.has(m.minor)), m.kubeadmApi, m.pause, m.containerd.map((c) => `${c}+`).join(' '), tested(m.minor)]),
    ),
  );
  out('\n');
  out(
    formatTable(
      ['CONTAINERD', 'NEWEST', 'RELEASED', 'END OF LIFE', 'STATUS', 'CONFIG'],
      containerdLines().map((l) => [l.line, l.newestPatch, l.released, l.endOfLife, `${l.endOfLife <= today ? 'end of life' : 'supported'}${l.lts ? ', LTS' : ''}`, `version ${containerdConfigFormat(l.newestPatch).writes}`]),
    ),
  );
  out('\n');
  out(formatTable(['CALICO', 'NEWEST', 'TESTED WITH KUBERNETES'], Object.entries(table.calico.releases).map(([release, r]) => [release, r.newestPatch, r.kubernetes.join(', ')])));
  const d = defaultVersions();
  out(`\nkube-vip: ${table.kubeVip.image}\nA new environment gets Kubernetes ${d.kubernetes}, containerd ${d.containerd} and Calico ${d.calico}; new clusters are built on ${[...fresh].join(', ')}.\n`);
}

function printEnvironments(envs: readonly Environment[]): void {
  if (envs.length === 0) return;
  out('\n');
  out(
    formatTable(
      ['ENVIRONMENT', 'KUBERNETES', 'CONTAINERD', 'CALICO', 'WARNINGS'],
      envs.map((e) => [e.name, e.spec.kubernetes.version, e.spec.containerd.version, e.spec.calico.version, String(e.warnings.length)]),
    ),
  );
  for (const e of envs) printWarnings(e, out);
}

/** What each node runs, read with probe.sh over the SSH connections `herd plan` uses; changes nothing. */
async function printLive(env: Environment): Promise<void> {
  const cluster = computeCluster(env);
  const logDir = join(environmentStateDir(env.name), 'logs', `versions-${new Date().toISOString().replaceAll(':', '-')}`);
  const reporter = new Reporter(new Redactor(), logDir, { isTTY: false, write: () => undefined });
  const limit = pLimit(env.spec.provisioner.concurrency);
  const { hosts, close } = await connectNodes(env, cluster.nodes, sshCredentials(env), reporter, limit);
  try {
    const facts = await Promise.all(cluster.nodes.map((n) => limit(async () => [n, await probe(hosts.get(n.name)!)] as const)));
    const containerdPackage = env.spec.containerd.packageName;
    const upstream = (v: string | undefined): string => (v === undefined ? '-' : v.replace(/-[^-]*$/, ''));
    const rows = facts.map(([node, f]) => {
      const kubelet = upstream(f.packages.get('kubelet'));
      const containerd = upstream(f.packages.get(containerdPackage));
      const joined = f.files.has('/etc/kubernetes/kubelet.conf');
      const differs = kubelet !== env.spec.kubernetes.version || containerd !== env.spec.containerd.version;
      return [node.name, kubelet, upstream(f.packages.get('kubeadm')), containerd, !joined ? 'not joined' : differs ? 'differs from the file' : 'as the file says'];
    });
    out(`\n${env.name}, live (read over SSH; logs: ${logDir}):\n`);
    out(formatTable(['NODE', 'KUBELET', 'KUBEADM', 'CONTAINERD', 'STATE'], rows));
  } finally {
    close();
  }
}

export function versionsCommand(): Command {
  return new Command('versions')
    .description("the table of versions herd installs, their end-of-life dates, and what each environment runs")
    .argument('[env...]', 'environments to show (default: every environment of the folder)')
    .option('--live', 'also read what the nodes of the named environments run, over SSH (read-only)')
    .option('--check', 'exit 1 when a default or an environment pins a version past its end of life')
    .option('--today <date>', 'judge end of life on this day instead of today (YYYY-MM-DD); also HERD_TODAY')
    .action(async (names: string[], opts: { live?: boolean; check?: boolean; today?: string }, command: Command) => {
      // The environments' own warnings judge the same day.
      if (opts.today !== undefined) process.env['HERD_TODAY'] = opts.today;
      const today = todayFromEnvironment();
      const dir = environmentsDir(command);
      if (opts.live && names.length === 0) {
        throw new ConfigError([{ file: dir, path: '', message: '--live connects to every node of an environment: name the environments to read' }]);
      }
      const envs = (names.length > 0 ? names : listEnvironments(dir)).map((name) => loadEnvironmentByName(name, dir));
      printTable(today);
      printEnvironments(envs);
      if (opts.live) for (const env of envs) await printLive(env);
      if (!opts.check) return;
      const aged = agedOut([defaultPin(), ...envs.map((e) => ({ who: `environment ${e.name}`, kubernetes: e.spec.kubernetes.version, containerd: e.spec.containerd.version }))], today);
      out('\n');
      const age = daysSinceReview(today);
      if (age > REVIEW_DUE_DAYS) out(`check: the table was reviewed ${age} days ago (${versionTable().reviewed}); refresh it (README.md, "Refreshing the table of versions")\n`);
      for (const a of aged) out(`check: FAILED: ${a.who} pins ${a.component} ${a.version}, past its end of life on ${a.endOfLife}\n`);
      if (aged.length === 0) out(`check: ok: no default and no environment pins a version past its end of life on ${today}\n`);
      else process.exitCode = 1;
    });
}
