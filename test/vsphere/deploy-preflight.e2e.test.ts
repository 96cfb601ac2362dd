import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { herdApp } from '../../stacks/app.ts';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { copyProject } from '../../bench/lib/project-copy.ts';
import { startVcsim, type RunningVcsim } from '../../scripts/lab/vcsim/vcsim.ts';
import { devInventory, vsphereEnv, type RawEnvironment } from './fixtures.ts';
import { inventorySnapshot } from './inventory-snapshot.ts';
import type { Json } from '../stacks/synth.ts';

// `cdktf deploy` of a vSphere environment whose VM folder does not exist must
// create nothing. The vSphere provider cannot be downloaded here, so this
// runs the two halves for real: the stack's own preflight step (its
// synthesized command, from its working directory) against vcsim, and
// Terraform applying the stack's dependency graph, with each vSphere resource
// standing in as a terraform_data that has the same depends_on and records
// its creation.

const ADDRESS = '127.44.0.2';
let vcsim: RunningVcsim;
let project: string;
const root = mkdtempSync(join(tmpdir(), 'herd-deploy-preflight-'));

function writeEnvironment(name: string, edit: (env: RawEnvironment) => void): void {
  const env = parse(readFileSync(join(DEFAULT_ENVIRONMENTS_DIR, 'dev.yaml'), 'utf8')) as RawEnvironment;
  env['infrastructure']['server'] = ADDRESS;
  edit(env);
  writeFileSync(join(project, 'stacks', 'environments', `${name}.yaml`), stringify(env));
}

beforeAll(async () => {
  vcsim = await startVcsim(ADDRESS, devInventory());
  project = copyProject(join(root, 'project')).dir;
  writeEnvironment('nofolder', (env) => (env['infrastructure']['folder'] = 'k8s'));
  writeEnvironment('dev', () => undefined);
  herdApp({ environmentsDir: join(project, 'stacks', 'environments'), outdir: join(project, 'cdktf.out') }).synth();
});

afterAll(async () => {
  await vcsim?.stop();
  rmSync(root, { recursive: true, force: true });
});

const stackDir = (env: string): string => join(project, 'cdktf.out', 'stacks', env);
const stackJson = (env: string): Json => JSON.parse(readFileSync(join(stackDir(env), 'cdk.tf.json'), 'utf8')) as Json;

function preflightStep(env: string): { command: string; cwd: string } {
  const block = ((stackJson(env)['resource'] as Record<string, Record<string, Json>>)['terraform_data']!)['preflight']!;
  const exec = (block['provisioner'] as { 'local-exec': { command: string; working_dir: string } }[])[0]!['local-exec'];
  return { command: exec.command, cwd: resolve(stackDir(env), exec.working_dir) };
}

describe("the stack's preflight step, run as Terraform's local-exec runs it", () => {
  it('refuses an environment whose folder is missing, naming the file and path, and creates nothing in vCenter', async () => {
    const before = await inventorySnapshot(vcsim);
    const { command, cwd } = preflightStep('nofolder');
    expect(cwd).toBe(project);
    const r = spawnSync('/bin/sh', ['-c', command], { cwd, encoding: 'utf8', env: vsphereEnv(vcsim.caFile) });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${join(project, 'stacks/environments/nofolder.yaml')}:\\d+: infrastructure\\.folder: no VM folder k8s in datacenter dc-dev`, 'm'));
    expect(await inventorySnapshot(vcsim)).toEqual(before);
  });

  it('passes a valid one', () => {
    const { command, cwd } = preflightStep('dev');
    const r = spawnSync('/bin/sh', ['-c', command], { cwd, encoding: 'utf8', env: vsphereEnv(vcsim.caFile) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dev: preflight passed');
  });
});

/**
 * The stack with its vSphere resources replaced by terraform_data stand-ins:
 * same names, same depends_on (and the references they make, as depends_on),
 * each writing a file named after the resource when Terraform creates it.
 */
function standIn(env: string): Json {
  const json = stackJson(env);
  const standInOf = (address: string): string => (address.startsWith('vsphere_') ? `terraform_data.${address.replace('.', '__')}` : address);
  const resources = json['resource'] as Record<string, Record<string, Json>>;
  const data: Record<string, Json> = { preflight: resources['terraform_data']!['preflight']! };
  mkdirSync(join(stackDir(env), 'created'), { recursive: true });
  for (const [type, byName] of Object.entries(resources)) {
    if (!type.startsWith('vsphere_')) continue;
    for (const [name, block] of Object.entries(byName)) {
      const referenced = [...JSON.stringify(block).matchAll(/\$\{(vsphere_[a-z_]+\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
      const dependsOn = [...new Set([...((block['depends_on'] as string[] | undefined) ?? []), ...referenced])].map(standInOf);
      data[`${type}__${name}`] = {
        depends_on: dependsOn,
        provisioner: [{ 'local-exec': { command: `touch created/${type}.${name}` } }],
      };
    }
  }
  return { terraform: { backend: (json['terraform'] as Json)['backend'] }, resource: { terraform_data: data } };
}

function terraform(env: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('terraform', args, {
    cwd: stackDir(env),
    encoding: 'utf8',
    env: { ...vsphereEnv(vcsim.caFile), CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: join(PROJECT_DIR, 'terraform.rc'), TF_IN_AUTOMATION: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("Terraform applying the stack's dependency graph", () => {
  it('creates no vSphere resource when the preflight fails', () => {
    writeFileSync(join(stackDir('nofolder'), 'cdk.tf.json'), JSON.stringify(standIn('nofolder')));
    expect(terraform('nofolder', ['init', '-input=false']).status).toBe(0);
    const r = terraform('nofolder', ['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('infrastructure.folder: no VM folder k8s in datacenter dc-dev');
    expect(readdirSync(join(stackDir('nofolder'), 'created'))).toEqual([]);
    // Only the failed preflight is in the state, tainted: the next deploy runs it again.
    expect(terraform('nofolder', ['state', 'list']).stdout.trim().split('\n').filter((l) => l !== '')).toEqual(['terraform_data.preflight']);
  }, 120_000);

  it('creates every one of them after a preflight that passes', () => {
    const stack = standIn('dev');
    writeFileSync(join(stackDir('dev'), 'cdk.tf.json'), JSON.stringify(stack));
    expect(terraform('dev', ['init', '-input=false']).status).toBe(0);
    const r = terraform('dev', ['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(r.status, r.stderr).toBe(0);
    const vsphere = Object.keys((stack['resource'] as { terraform_data: Json }).terraform_data).filter((k) => k.startsWith('vsphere_'));
    expect(readdirSync(join(stackDir('dev'), 'created')).sort()).toEqual(vsphere.map((k) => k.replace('__', '.')).sort());
    expect(existsSync(join(stackDir('dev'), 'created', 'vsphere_folder.environment'))).toBe(true);
  }, 120_000);
});
