import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { herdApp } from '../../stacks/app.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import type { Lab } from '../../scripts/lab/lab.ts';
import { startEnvironmentLab } from '../../scripts/lab/environment.ts';
import { inNetns, waitFor } from '../lab/helpers.ts';

// The lab stack deployed for real, offline, on lab hosts: Terraform applies the
// synthesized JSON of a copy of the project (its own .herd/ for state,
// known_hosts and the lab), the reconcile resource runs `herd apply lab`, which
// provisions the lab hosts over SSH, and lowering a count or destroying runs
// the per-node hooks. One run goes through `npx cdktf deploy` / `cdktf destroy`
// for the path operators use; the rest drives terraform directly, which is
// what cdktf does underneath. The lab is the quick start's: its nodes on a
// fabric behind the lab bastion, each node's BGP real BIRD, lab-router a real
// FRR loaded with what `herd peers lab` renders.

const CANARY = 'e2e-canary-5d1f0b';
const BOOTSTRAP_TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/;
const project = mkdtempSync(join(tmpdir(), 'herd-deploy-'));
const stackDir = join(project, 'cdktf.out', 'stacks', 'lab');
const labDir = join(project, '.herd', 'lab');
const knownHosts = join(labDir, 'known_hosts');
const state = join(labDir, 'terraform.tfstate');
const labFile = join(project, 'stacks', 'environments', 'lab.yaml');
const env = quietTerraformEnv({ ...process.env, LAB_E2E_BGP_PASSWORD: CANARY, VSPHERE_PASSWORD: CANARY });

const OTHER_HOST = '192.0.2.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+';
let lab: Lab;

function knownAddresses(): string[] {
  return readFileSync(knownHosts, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[0]!);
}

type LabYaml = { workerPools: { count: number }[]; calico: { bgp: { peers: Record<string, unknown>[] } } };

function editLab(edit: (lab: LabYaml) => void): void {
  const lab = parse(readFileSync(labFile, 'utf8')) as LabYaml;
  edit(lab);
  writeFileSync(labFile, stringify(lab));
}

const setWorkerCount = (count: number): void => editLab((lab) => (lab.workerPools[0]!.count = count));

function synthesize(): void {
  herdApp({ outdir: join(project, 'cdktf.out'), environmentsDir: join(project, 'stacks', 'environments'), environments: ['lab'] }).synth();
}

// cdktf colours its output; assertions read plain text.
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function run(command: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  return { status: r.status, out: plain(`${r.stdout}\n${r.stderr}`) };
}

const terraform = (...args: string[]): { status: number | null; out: string } => run('terraform', [...args, '-no-color'], stackDir);

beforeAll(async () => {
  for (const entry of ['bin', 'scripts', 'stacks', 'templates', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc']) {
    cpSync(join(PROJECT_DIR, entry), join(project, entry), { recursive: true });
  }
  symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(project, 'node_modules'));
  // The lab router's sessions get a password, so that a real secret travels through the deploy.
  editLab((lab) => (lab.calico.bgp.peers[0]!['passwordFrom'] = { env: 'LAB_E2E_BGP_PASSWORD' }));
  lab = await startEnvironmentLab(loadEnvironment(labFile), { count: 3, values: env });
  writeFileSync(knownHosts, `${OTHER_HOST}\n`);
}, 120_000);
afterAll(async () => {
  await lab?.stop();
  rmSync(project, { recursive: true, force: true });
});

describe('deploying the lab stack', () => {
  it('terraform init needs no download and prints no warning', () => {
    synthesize();
    const r = terraform('init', '-input=false');
    expect(r.out).toContain('terraform.io/builtin/terraform is built in to Terraform');
    expect(r.status).toBe(0);
    expect(r.out).not.toMatch(/Warning|checkpoint|Error/i);
  }, 60_000);

  it('apply provisions the lab hosts into a verified cluster and keeps the state under .herd/lab', () => {
    const r = terraform('apply', '-auto-approve', '-input=false');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('terraform_data.reconcile (local-exec): [lab-cp-1] init: run init-control-plane.sh (kubeadm init) ok');
    expect(r.out).toContain('[lab-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok');
    expect(r.out).toContain('Apply complete! Resources: 6 added, 0 changed, 0 destroyed.');
    expect(Object.keys(lab.clusterState()?.nodes ?? {}).sort()).toEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2']);
    expect(existsSync(state)).toBe(true);
    expect(knownAddresses().sort()).toEqual(['127.10.0.10', '192.0.2.10', '198.18.10.11', '198.18.10.21', '198.18.10.22']);
  }, 120_000);

  it('runs BIRD on every node, and the router’s kernel holds every node’s pod block, learned by BGP', async () => {
    const blocks = Object.entries(lab.clusterState()?.ipam?.blocks ?? {});
    expect(blocks.map(([, claim]) => claim.node).sort()).toEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2']);
    for (const h of lab.hosts) {
      const bird = await lab.exec(h.name, 'birdc -s /var/run/calico/bird.ctl show status');
      expect(bird.stdout, h.name).toContain('BIRD 1.6.8');
    }
    const routes = JSON.parse(await inNetns(lab.routerNetns('lab-router'), 'ip -j route show proto bgp')) as { dst: string; nexthops?: { gateway: string }[]; gateway?: string }[];
    for (const [cidr, claim] of blocks) {
      const route = routes.find((r) => r.dst === cidr);
      const via = route?.nexthops?.map((n) => n.gateway) ?? (route?.gateway ? [route.gateway] : []);
      expect(via, cidr).toContain(lab.host(claim.node).address);
    }
  });

  it('a second plan has nothing to do', () => {
    const r = terraform('plan', '-detailed-exitcode', '-input=false');
    expect(r.out).toContain('No changes.');
    expect(r.status).toBe(0);
  }, 60_000);

  it('lowering the worker count runs lab-worker-2’s hook, then provisions again with nothing to change', async () => {
    const [gone] = Object.entries(lab.clusterState()?.ipam?.blocks ?? {}).find(([, claim]) => claim.node === 'lab-worker-2') ?? [];
    setWorkerCount(1);
    synthesize();
    const r = terraform('apply', '-auto-approve', '-input=false');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('[lab-worker-2] dropped 1 known_hosts entry for 198.18.10.22');
    expect(r.out).toContain('[lab-cp-1] lab-worker-2 drained and deleted');
    // The worker that stays is as the last apply left it: the reconcile step (--only-changed) trusts it.
    expect(r.out).toContain('==> Connect to 1 of 2 hosts: the control planes and any new machine (--only-changed)');
    expect(r.out).toContain('Apply complete! Resources: 2 added, 0 changed, 3 destroyed.');
    expect(knownAddresses()).not.toContain('198.18.10.22');
    // Its pod block is withdrawn from the router.
    await waitFor(`${gone} withdrawn from lab-router`, async () => !(await inNetns(lab.routerNetns('lab-router'), 'ip route show proto bgp')).includes(`${gone} `));
  }, 120_000);

  it('raising it again adds the node back, meeting its host key as new', () => {
    setWorkerCount(2);
    synthesize();
    const r = terraform('apply', '-auto-approve', '-input=false');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('[lab-worker-2] first contact: recorded host key SHA256:');
    expect(r.out).toContain('Apply complete! Resources: 3 added, 0 changed, 2 destroyed.');
    expect(r.out).not.toContain('herd node remove');
  }, 120_000);

  it('destroy runs every node removal hook, which resets the nodes', () => {
    const r = terraform('destroy', '-auto-approve', '-input=false');
    expect(r.status, r.out).toBe(0);
    for (const node of ['lab-cp-1', 'lab-worker-1', 'lab-worker-2']) expect(r.out).toContain(`[${node}] reset`);
    for (const address of ['198.18.10.11', '198.18.10.21', '198.18.10.22']) expect(r.out).toContain(`dropped 1 known_hosts entry for ${address}`);
    expect(r.out).toContain('Destroy complete! Resources: 6 destroyed.');
    expect(knownAddresses()).toEqual(['192.0.2.10', '127.10.0.10']);
  }, 60_000);

  it('no secret reached the state, the synthesized JSON or herd’s logs', () => {
    const logs = readdirSync(join(labDir, 'logs'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(logs.length).toBeGreaterThan(0);
    const texts = [state, join(stackDir, 'cdk.tf.json'), ...logs.map((d) => join(d.parentPath, d.name))].map((f) => readFileSync(f, 'utf8'));
    for (const text of texts) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toMatch(BOOTSTRAP_TOKEN);
    }
  });

  it('npx cdktf deploy lab and cdktf destroy lab work offline and quietly', () => {
    rmSync(join(project, 'cdktf.out'), { recursive: true, force: true });
    const deploy = run('npx', ['cdktf', 'deploy', 'lab', '--auto-approve'], project);
    expect(deploy.status, deploy.out).toBe(0);
    // destroy reset every node, so this deploy provisions the cluster again.
    expect(deploy.out).toContain('[lab-cp-1] init: run init-control-plane.sh (kubeadm init) ok');
    expect(deploy.out).toContain('[lab-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok');
    expect(deploy.out).not.toMatch(/ENOTFOUND|Unable to open CLI configuration|checkpoint/i);

    const destroy = run('npx', ['cdktf', 'destroy', 'lab', '--auto-approve'], project);
    expect(destroy.status, destroy.out).toBe(0);
    for (const address of ['198.18.10.11', '198.18.10.21', '198.18.10.22']) expect(destroy.out).toContain(`dropped 1 known_hosts entry for ${address}`);
    // cdktf runs Terraform underneath: the hooks still recognise a destroy of the whole stack.
    for (const node of ['lab-cp-1', 'lab-worker-1', 'lab-worker-2']) expect(destroy.out).toContain(`[${node}] the whole environment goes: reset only`);
    expect(destroy.out).not.toMatch(/ENOTFOUND|Unable to open CLI configuration|checkpoint/i);
    expect(knownAddresses()).toEqual(['192.0.2.10', '127.10.0.10']);
    expect(readFileSync(state, 'utf8')).not.toContain(CANARY);
  }, 180_000);
});
