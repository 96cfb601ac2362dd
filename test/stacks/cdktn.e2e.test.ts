import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { labProject, type LabProject } from './lab-project.ts';

// CDK Terrain's CLI (cdktn-cli 0.24, on the Node.js 22 it needs) drives the
// same project as cdktf's: it deploys the lab stack from nothing, the stack it
// deployed plans no change under `npx cdktf` (Node.js 20) and under
// `herd deploy --cli cdktn`, and it destroys it. docs/deploying.md, "Which CDK".

const ENV = 'terrain';
const NET = 74;
const TOOLS = join(PROJECT_DIR, 'test', 'cdktn-cli', 'node_modules', '.bin');
// Node.js 22 and cdktn first on PATH, as for an operator who moved to them.
const terrain = quietTerraformEnv({ ...process.env, PATH: `${TOOLS}${delimiter}${process.env['PATH'] ?? ''}` });
let copy: LabProject;

const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = terrain): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd: copy.dir, env, encoding: 'utf8' });
  return { status: r.status, out: plain(`${r.stdout}\n${r.stderr}`) };
}

beforeAll(async () => {
  if (!existsSync(join(TOOLS, 'cdktn')) || !existsSync(join(TOOLS, 'node'))) {
    throw new Error('cdktn-cli and Node.js 22 are not installed for this test: run `npm ci --prefix test/cdktn-cli` (.ci/run does)');
  }
  copy = await labProject(ENV, NET, 1);
}, 120_000);

afterAll(async () => {
  await copy?.stop();
});

describe('CDK Terrain’s CLI on the lab stack', () => {
  it('runs on Node.js 22', () => {
    const r = run('node', ['--version']);
    expect(r.out.trim()).toMatch(/^v22\./);
    expect(run('cdktn', ['--version']).out.trim()).toBe('0.24.0');
  });

  it('cdktn deploy provisions the lab hosts, quietly', () => {
    const r = run('cdktn', ['deploy', ENV, '--auto-approve']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`[${ENV}-cp-1] init: run init-control-plane.sh (kubeadm init) ok`);
    expect(r.out).toContain(`[${ENV}-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok`);
    expect(r.out).toContain('Apply complete! Resources: 5 added, 0 changed, 0 destroyed.');
    expect(r.out).not.toMatch(/\[ERROR\]|warning|deprecat|ENOTFOUND|checkpoint/i);
  }, 180_000);

  it('what cdktn deployed, npx cdktf (Node.js 20) and herd deploy --cli cdktn find unchanged', () => {
    const cdktf = run('npx', ['cdktf', 'diff', ENV], quietTerraformEnv({ ...process.env }));
    expect(cdktf.status, cdktf.out).toBe(0);
    expect(cdktf.out).toContain('No changes. Your infrastructure matches the configuration.');
    const herd = run('node', ['bin/herd.mjs', 'deploy', ENV, '--auto-approve', '--cli', 'cdktn']);
    expect(herd.status, herd.out).toBe(0);
    expect(herd.out).toContain('No changes. Your infrastructure matches the configuration.');
  }, 120_000);

  it('cdktn destroy runs every node’s removal hook', () => {
    const r = run('cdktn', ['destroy', ENV, '--auto-approve']);
    expect(r.status, r.out).toBe(0);
    for (const node of [`${ENV}-cp-1`, `${ENV}-worker-1`]) expect(r.out).toContain(`[${node}] the whole environment goes: reset only`);
    expect(r.out).toContain('Destroy complete! Resources: 5 destroyed.');
  }, 120_000);
});
