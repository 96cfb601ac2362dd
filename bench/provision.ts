// Provisioning at scale on the lab: `herd apply` from nothing and with nothing
// to do, and one `sleep 1` fanned out to every host by herd's SSH layer, by
// OpenSSH (`xargs -P`) and by Ansible, in the same run. Prints a Markdown table.
//
//   npx tsx bench/provision.ts [hosts=50]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { startLab } from '../scripts/lab/lab.ts';
import { connectAll, sshCredentials } from '../scripts/provisioner/connect-hosts.ts';
import { loadEnvironment } from '../stacks/environment/load.ts';
import { computeCluster } from '../stacks/topology/topology.ts';
import { environmentStateDir, PROJECT_DIR } from '../stacks/project.ts';
import { labEnvironment, labHosts } from '../scripts/lab/environment-file.ts';

const HOSTS = Number(process.argv[2] ?? 50);
const ENV = 'bp';
const NET = 88;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function herdApply(envDir: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync('node', ['bin/herd.mjs', '--environments', envDir, 'apply', ENV], { cwd: PROJECT_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`herd apply failed:\n${r.stdout}\n${r.stderr}`);
  return seconds(start);
}

const work = mkdtempSync(join(tmpdir(), 'herd-bench-provision-'));
rmSync(environmentStateDir(ENV), { recursive: true, force: true });
const lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, HOSTS - 1), concurrency: 16 });
try {
  const env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 1, workers: HOSTS - 1 });
  const fromNothing = herdApply(env.dir);
  const noChange = herdApply(env.dir);

  // Fan-out: herd's SSH layer (connect to all, one command each) against OpenSSH.
  const environment = loadEnvironment(join(env.dir, `${ENV}.yaml`));
  const nodes = computeCluster(environment).nodes;
  let start = process.hrtime.bigint();
  const { sessions, close } = await connectAll(environment, nodes, sshCredentials(environment), { limit: pLimit(HOSTS), onFirstContact: () => undefined });
  await Promise.all([...sessions.values()].map((s) => s.exec('sleep 1', { timeoutMs: 30_000 })));
  close();
  const herdFanOut = seconds(start);

  const list = join(work, 'addresses');
  writeFileSync(list, nodes.map((n) => n.address).join('\n'));
  start = process.hrtime.bigint();
  execFileSync('sh', ['-c', `xargs -P ${HOSTS} -I{} ssh -q -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${env.knownHosts} -i ${lab.keyFile} ${lab.user}@{} 'sleep 1' < ${list}`]);
  const opensshFanOut = seconds(start);

  // Ansible (Debian's ansible-core), when installed: the same step with -m raw, same forks.
  let ansibleFanOut: number | undefined;
  if (spawnSync('ansible', ['--version']).status === 0) {
    const inventory = join(work, 'inventory.ini');
    writeFileSync(inventory, `[lab]\n${nodes.map((n) => n.address).join('\n')}\n`);
    start = process.hrtime.bigint();
    execFileSync('ansible', ['lab', '-i', inventory, '-m', 'raw', '-a', 'sleep 1', '-f', String(HOSTS), '-u', lab.user, '--private-key', lab.keyFile], {
      env: { ...process.env, ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${env.knownHosts} -o StrictHostKeyChecking=yes`, ANSIBLE_LOCAL_TEMP: join(work, 'ansible') },
      stdio: 'ignore',
    });
    ansibleFanOut = seconds(start);
  }

  process.stdout.write(
    [
      `| ${HOSTS} lab hosts (1 control plane) | seconds |`,
      '| --- | --- |',
      `| herd apply, from nothing | ${fromNothing.toFixed(1)} |`,
      `| herd apply, nothing to change | ${noChange.toFixed(1)} |`,
      `| sleep 1 on every host: herd's SSH layer (ssh2, concurrency ${HOSTS}) | ${herdFanOut.toFixed(1)} |`,
      `| sleep 1 on every host: OpenSSH, xargs -P ${HOSTS} | ${opensshFanOut.toFixed(1)} |`,
      `| sleep 1 on every host: Ansible -m raw -f ${HOSTS} | ${ansibleFanOut === undefined ? 'not installed' : ansibleFanOut.toFixed(1)} |`,
      '',
    ].join('\n'),
  );
} finally {
  await lab.stop();
  rmSync(work, { recursive: true, force: true });
}
