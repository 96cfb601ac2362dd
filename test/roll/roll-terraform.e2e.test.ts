import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { copyProject } from '../../bench/lib/project-copy.ts';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { herdApp } from '../../stacks/app.ts';
import { MACHINE_SPEC_KEY } from '../../stacks/constructs/node-vm.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { journalMarks } from '../provisioner/lab-env.ts';
import type { Json } from '../stacks/synth.ts';

// herd roll of a vSphere environment, with Terraform itself running the
// roll's commands. The vSphere provider cannot be downloaded here, so the
// synthesized stack is applied with each VM standing in as a terraform_data
// that keeps the VM's construct path, its recorded machine spec (ignored
// after creation, as the VM's extra_config is) and its place in the graph,
// and whose creation re-images a lab host at the node's address, as a new VM
// would be a new machine there. Everything else is the stack as synthesized:
// the node removal hooks (herd node remove), the reconcile step (herd apply),
// the check block and the outputs.

const ENV = 'rt';
const NET = 94;
const CP = `${ENV}-cp-1`;
const WORKER = `${ENV}-worker-1`;
/** The worker pool's surge node: the top address of its block (allocation from .11, the control plane's 5, a poolSize of 10). */
const SURGE = `${ENV}-worker-surge1`;
const root = mkdtempSync(join(tmpdir(), 'herd-roll-terraform-'));
const project = copyProject(join(root, 'project'));
const stackDir = join(project.dir, 'cdktf.out', 'stacks', ENV);
const tfEnv = quietTerraformEnv({ ...process.env, TF_IN_AUTOMATION: '1' });

let lab: Lab;
const { mark, sinceMark } = journalMarks(() => lab);

function run(command: string, args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd, env: tfEnv, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}
const flat = (text: string): string => text.replace(/[\s│]+/g, ' ');
const terraform = (...args: string[]) => run('terraform', [...args, '-no-color', '-input=false'], stackDir);
const herd = (...args: string[]) => run('node', ['bin/herd.mjs', ...args], project.dir);
/** herd, without blocking this process: the test samples the cluster meanwhile. */
function herdAsync(...args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', ['bin/herd.mjs', ...args], { cwd: project.dir, env: tfEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => resolve({ status, out }));
  });
}

function writeEnvironment(template: string, workers = 1): void {
  const env = {
    extends: '_defaults.yaml',
    infrastructure: { type: 'vsphere', server: 'vcenter.rt.invalid', datacenter: 'dc', computeCluster: 'cl', datastore: 'ds', folder: 'k8s', network: 'pg', template },
    network: { cidr: `127.${NET}.0.0/16`, gateway: `127.${NET}.0.1`, dnsServers: ['127.0.0.53'], allocation: { start: `127.${NET}.0.11`, end: `127.${NET}.0.250`, poolSize: 10 } },
    controlPlane: { count: 1, endpoint: { type: 'loadBalancer', address: `127.${NET}.0.5` } },
    workerPools: [{ name: 'worker', count: workers }],
    upgrade: { drainTimeoutSeconds: 30 },
    ssh: {
      user: lab.user,
      agent: false,
      privateKeyFile: lab.keyFile,
      knownHostsFile: join(root, 'known_hosts'),
      authorizedKeys: [readFileSync(`${lab.keyFile}.pub`, 'utf8').trim()],
      connectTimeoutSeconds: 5,
      commandTimeoutSeconds: 120,
    },
  };
  writeFileSync(join(project.environmentsDir, `${ENV}.yaml`), stringify(env));
}

/** Synthesizes the stack as cdktf does, then puts the stand-ins in place of the vSphere resources. */
function deployable(template: string, workers = 1): void {
  writeEnvironment(template, workers);
  herdApp({ outdir: join(project.dir, 'cdktf.out'), environmentsDir: project.environmentsDir, environments: [ENV] }).synth();
  writeFileSync(join(stackDir, 'cdk.tf.json'), JSON.stringify(standIn(JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as Json)));
}

function standIn(json: Json): Json {
  const resources = json['resource'] as Record<string, Record<string, Json>>;
  const machines: Record<string, Json> = {};
  for (const [name, vm] of Object.entries(resources['vsphere_virtual_machine'] ?? {})) {
    const node = name.replace(/^node_/, '');
    const rebuild = `node --import tsx --input-type=module -e ${JSON.stringify(`const { rebuildLabHost } = await import(${JSON.stringify(join(project.dir, 'scripts/lab/lab.ts'))}); await rebuildLabHost(${JSON.stringify(lab.stateDir)}, ${JSON.stringify(node)});`)}`;
    machines[`vsphere_virtual_machine__${name}`] = {
      '//': vm['//'],
      // A surge machine exists while the roll's herd_surge names its pool.
      ...(vm['count'] === undefined ? {} : { count: vm['count'] }),
      input: { extra_config: { [MACHINE_SPEC_KEY]: (vm['extra_config'] as Json)[MACHINE_SPEC_KEY] } },
      lifecycle: { ignore_changes: ['input'] },
      // The first creation finds the lab host there; a replacement re-images it.
      provisioner: [{ 'local-exec': { working_dir: project.dir, command: `if [ -e ${stackDir}/built-${node} ]; then ${rebuild}; fi; touch ${stackDir}/built-${node}` } }],
    };
  }
  const { preflight: _preflight, ...kept } = resources['terraform_data']!;
  const rest = JSON.stringify({ kept, output: json['output'], check: json['check'] })
    .replace(/vsphere_virtual_machine\.(node_[A-Za-z0-9-]+)\.extra_config/g, 'terraform_data.vsphere_virtual_machine__$1.output.extra_config')
    .replace(/vsphere_virtual_machine\.(node_[A-Za-z0-9-]+)/g, 'terraform_data.vsphere_virtual_machine__$1');
  const parsed = JSON.parse(rest) as { kept: Record<string, Json>; output: Json; check: Json };
  return {
    terraform: { backend: (json['terraform'] as Json)['backend'] },
    variable: json['variable'],
    resource: { terraform_data: { ...parsed.kept, ...machines } },
    output: parsed.output,
    check: parsed.check,
  };
}

const machinesOutput = (): Record<string, string> => JSON.parse(spawnSync('terraform', ['output', '-json', 'machines'], { cwd: stackDir, env: tfEnv, encoding: 'utf8' }).stdout) as Record<string, string>;

beforeAll(async () => {
  lab = await startLab({
    stateDir: join(root, 'lab'),
    hosts: [
      { name: CP, address: `127.${NET}.0.11` },
      { name: WORKER, address: `127.${NET}.0.16` },
      { name: SURGE, address: `127.${NET}.0.25` },
    ],
  });
  deployable('tmpl-v1');
  expect(terraform('init').status).toBe(0);
  const r = terraform('apply', '-auto-approve');
  expect(r.status, r.out).toBe(0);
  expect(Object.keys(lab.clusterState()!.nodes).sort()).toEqual([CP, WORKER]);
}, 240_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('a new template on vSphere', () => {
  it('leaves the existing VMs as built: the deploy replaces none, and the plan warns for each one built from the old template', () => {
    const keys = [lab.hostKey(CP), lab.hostKey(WORKER)];
    deployable('tmpl-v2');
    const plan = terraform('plan');
    expect(plan.status, plan.out).toBe(0);
    // Only the reconcile step (the desired state changed) and its finished record: no VM.
    expect([...plan.out.matchAll(/# (\S+) must be replaced/g)].map((m) => m[1])).toEqual(['terraform_data.reconcile', 'terraform_data.reconciled']);
    // Terraform wraps its warnings: read them as one line.
    const warnings = flat(plan.out);
    expect(warnings.match(/Warning: Check block assertion failed/g)).toHaveLength(2);
    for (const node of [CP, WORKER]) {
      expect(warnings).toMatch(new RegExp(`${node} was built as "template tmpl-v1, full clone, cloudInit, [^"]*", the environment now asks for "template tmpl-v2, [^"]*": \`herd roll ${ENV}\` replaces it, one batch at a time\\.`));
    }
    const deploy = terraform('apply', '-auto-approve');
    expect(deploy.status, deploy.out).toBe(0);
    expect([lab.hostKey(CP), lab.hostKey(WORKER)]).toEqual(keys);
    expect(machinesOutput()[WORKER]).toMatch(/^template tmpl-v1, /);
  }, 120_000);

  it('herd roll --dry-run names the VMs built otherwise and the exact Terraform commands, and changes nothing', () => {
    mark();
    const r = herd('roll', ENV, '--pool', 'worker', '--dry-run');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`[${WORKER}] out of date: built as "template tmpl-v1, `);
    expect(r.out).toContain(`batch 1 of 1: ${WORKER} (to do)`);
    expect(r.out).toContain(`in cdktf.out/stacks/${ENV}: terraform plan -input=false -no-color -replace=terraform_data.vsphere_virtual_machine__node_${WORKER} -out=herd-roll.tfplan`);
    expect(r.out).toContain('terraform show -no-color -json herd-roll.tfplan');
    expect(r.out).toContain('once the node is out of the cluster: terraform apply -input=false -no-color herd-roll.tfplan');
    expect(sinceMark(CP).filter((e) => e.mutating)).toEqual([]);
  }, 60_000);

  it('herd roll (--surge) drains and removes the node, has Terraform replace its VM (the stack’s hooks under the roll’s lock) and the new machine joins, with a surge machine in its place meanwhile', async () => {
    const keys = { cp: lab.hostKey(CP), worker: lab.hostKey(WORKER) };
    mark();
    const serving: number[] = [];
    const sampler = setInterval(() => {
      const state = lab.clusterState()!;
      serving.push([WORKER, SURGE].filter((n) => state.nodes[n] !== undefined && !state.nodes[n]!.unschedulable && state.hosts[state.nodes[n]!.host]?.kubelet.running === true).length);
    }, 50);
    const r = await herdAsync('roll', ENV, '--pool', 'worker', '--surge', '--ready-timeout', '60');
    clearInterval(sampler);
    expect(r.status, r.out).toBe(0);
    const commands = [...r.out.matchAll(/^\$ \(cd cdktf\.out\/stacks\/rt && (terraform .*)\)$/gm)].map((m) => m[1]);
    const surged = `'-var=herd_surge=["worker"]'`;
    expect(commands).toEqual([
      'terraform init -input=false -no-color',
      'terraform output -no-color -json machines',
      // Checked before anything is touched, then the surge machine, then the batch with the surge machine kept.
      `terraform plan -input=false -no-color -replace=terraform_data.vsphere_virtual_machine__node_${WORKER} -out=herd-roll.tfplan`,
      'terraform show -no-color -json herd-roll.tfplan',
      `terraform plan -input=false -no-color ${surged} -out=herd-roll.tfplan`,
      'terraform show -no-color -json herd-roll.tfplan',
      'terraform apply -input=false -no-color herd-roll.tfplan',
      `terraform plan -input=false -no-color -replace=terraform_data.vsphere_virtual_machine__node_${WORKER} ${surged} -out=herd-roll.tfplan`,
      'terraform show -no-color -json herd-roll.tfplan',
      'terraform apply -input=false -no-color herd-roll.tfplan',
      'terraform plan -input=false -no-color -out=herd-roll.tfplan',
      'terraform show -no-color -json herd-roll.tfplan',
      'terraform apply -input=false -no-color herd-roll.tfplan',
    ]);
    // The surge node joined before the worker left, and left after the worker was back.
    const cpCalls = sinceMark(CP);
    const at = (pattern: RegExp): number => cpCalls.findIndex((e) => e.command === 'kubectl' && e.exit === 0 && pattern.test(e.argv.join(' ')));
    const surgeJoined = sinceMark(SURGE).find((e) => e.command === 'kubeadm' && e.argv[0] === 'join' && e.exit === 0)!;
    const workerDrained = cpCalls.find((e) => e.command === 'kubectl' && e.argv.includes('drain') && e.argv.includes(WORKER))!;
    expect(Date.parse(surgeJoined.time)).toBeLessThan(Date.parse(workerDrained.time) - workerDrained.durationMs);
    expect(at(new RegExp(`wait --for=condition=Ready node/${WORKER} `))).toBeLessThan(at(new RegExp(`drain ${SURGE} `)));
    expect(at(new RegExp(`drain ${SURGE} `))).toBeLessThan(at(new RegExp(`delete node ${SURGE}$`)));
    expect(serving.length).toBeGreaterThan(20);
    expect(Math.min(...serving), 'workers Ready and schedulable at every moment').toBeGreaterThanOrEqual(1);
    expect(Object.keys(lab.clusterState()!.nodes).sort()).toEqual([CP, WORKER]);
    expect(terraform('state', 'list').out).not.toContain('surge');
    // Inside the applies, the stack's hooks ran under the roll's lock instead of waiting for it.
    expect(r.out).toMatch(new RegExp(`\\[${WORKER}\\] herd roll \\(pid \\d+\\) holds the lock and runs this removal as one of its steps`));
    expect(r.out).toMatch(new RegExp(`\\[${SURGE}\\] herd roll \\(pid \\d+\\) holds the lock and runs this removal as one of its steps`));
    expect(r.out).toMatch(/herd roll \(pid \d+\) holds the environment's lock and runs this apply as one of its steps/);
    // The worker joined once, from a new machine; the control plane was left alone.
    expect(sinceMark(WORKER).filter((e) => e.command === 'kubeadm' && e.argv[0] === 'join' && e.exit === 0)).toHaveLength(1);
    expect(lab.hostKey(WORKER)).not.toBe(keys.worker);
    expect(lab.hostKey(CP)).toBe(keys.cp);
    expect(lab.clusterState()!.nodes[WORKER]?.unschedulable).toBe(false);
    // Terraform's record: the worker's VM is built from the new template, the control plane's from the old one.
    const built = machinesOutput();
    expect(built[WORKER]).toMatch(/^template tmpl-v2, /);
    expect(built[CP]).toMatch(/^template tmpl-v1, /);
    const plan = flat(terraform('plan').out);
    // (Terraform also quotes the stack's source line, which holds every message unevaluated.)
    expect(plan).toContain(`${CP} was built as "template tmpl-v1, `);
    expect(plan).not.toContain(`${WORKER} was built as "template`);
  }, 180_000);

  it('refuses to replace VMs while the stack has other changes, before anything is touched', () => {
    deployable('tmpl-v2', 2);
    mark();
    const r = herd('roll', ENV, '--pool', 'worker', '--all');
    expect(r.status, r.out).toBe(2);
    expect(r.out).toContain(`the plan to replace ${WORKER} would also change:`);
    expect(r.out).toContain(`terraform_data.vsphere_virtual_machine__node_${ENV}-worker-2 (create)`);
    expect(r.out).toContain(`Those are changes for \`cdktf deploy ${ENV}\` to make, with their own review: deploy first, then run herd roll again.`);
    for (const host of [CP, WORKER]) expect(sinceMark(host).filter((e) => e.mutating), host).toEqual([]);
  }, 120_000);
});
