import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { environmentStateDir } from '../../stacks/project.ts';
import { PLAN_SCHEMA_FILE, planSchemaFileText } from '../../scripts/cli/commands/schema.ts';
import { herd, journalMarks, type HerdRun } from './lab-env.ts';
import { labEnvironment, labHosts, type LabEnvironment } from '../../scripts/lab/environment-file.ts';

// `herd plan --json` as a pipeline reads it: one JSON document on stdout that
// its documented schema accepts, and terraform plan -detailed-exitcode's exit
// codes: 0 nothing to do, 2 changes pending, 1 an error.

const ENV = 'pj';
const NET = 82;

let work: string;
let lab: Lab;
let env: LabEnvironment;
const { mark, sinceMark } = journalMarks(() => lab);
const plan = (...more: string[]): Promise<HerdRun> => herd(['--environments', env.dir, 'plan', ENV, ...more]);
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(PLAN_SCHEMA_FILE, 'utf8')) as object);

interface Document {
  changesPending?: boolean;
  phases?: { title: string; changes: boolean; steps: { host: string; action: string; readOnly: boolean; because: string }[] }[];
  hosts?: { name: string; membership: string; facts: { packages: Record<string, string> } }[];
  cluster?: { readFrom: string; nodes: { name: string }[] } | null;
  error?: { kind: string; message: string };
}

/** The document on stdout, checked against docs/plan.schema.json. */
function documentOf(r: HerdRun): Document {
  const document = JSON.parse(r.stdout) as Document;
  expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  return document;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herd-plan-json-'));
  rmSync(environmentStateDir(ENV), { recursive: true, force: true });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 2) });
  env = labEnvironment(ENV, join(work, 'environments'), lab, NET);
  env.write({ controlPlanes: 1, workers: 1 });
  const r = await herd(['--environments', env.dir, 'apply', ENV, '--verify-timeout', '60']);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}, 180_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('herd plan --json', () => {
  it('has its schema committed as herd schema --write generates it', () => {
    expect(readFileSync(PLAN_SCHEMA_FILE, 'utf8')).toBe(planSchemaFileText());
  });

  it('on a converged cluster: nothing pending, only the read-only check, exit 0', async () => {
    const r = await plan('--json');
    expect(r.status, r.stderr).toBe(0);
    const document = documentOf(r);
    expect(document.changesPending).toBe(false);
    const withSteps = document.phases!.filter((p) => p.steps.length > 0);
    expect(withSteps.map((p) => p.title)).toEqual(['Verify']);
    expect(withSteps[0]!.steps[0]).toMatchObject({ host: `${ENV}-cp-1`, readOnly: true });
    expect(document.hosts!.map((h) => [h.name, h.membership])).toEqual([[`${ENV}-cp-1`, 'member'], [`${ENV}-worker-1`, 'member']]);
    expect(document.cluster!.nodes.map((n) => n.name).sort()).toEqual([`${ENV}-cp-1`, `${ENV}-worker-1`]);
    // Progress goes to stderr, so that stdout is the document alone.
    expect(r.stderr).toContain('==> Plan');
  }, 60_000);

  it('with one more worker: its prepare and join, and why, exit 2, and nothing changed on any host', async () => {
    env.write({ controlPlanes: 1, workers: 2 });
    mark();
    const r = await plan('--json');
    expect(r.status, r.stderr).toBe(2);
    const document = documentOf(r);
    expect(document.changesPending).toBe(true);
    const steps = document.phases!.flatMap((p) => p.steps.filter((s) => !s.readOnly).map((s) => ({ phase: p.title, ...s })));
    expect(steps.map((s) => [s.phase, s.host])).toEqual([
      ['Prepare nodes', `${ENV}-worker-2`],
      ['Join workers', `${ENV}-worker-2`],
      ['Apply Calico and BGP', `${ENV}-cp-1`],
    ]);
    expect(steps[0]!.because).toBe('it was never prepared by herd (no /var/lib/herd/applied/prepare)');
    expect(steps[1]!.because).toBe('it has not joined (no kubelet.conf), and the cluster has no member of its name');
    expect(document.hosts!.find((h) => h.name === `${ENV}-worker-2`)!.membership).toBe('new');
    for (const h of lab.hosts) expect(sinceMark(h.name).filter((e) => e.mutating), h.name).toEqual([]);
    // Without --json, the same exit codes.
    expect((await plan()).status).toBe(2);
    env.write({ controlPlanes: 1, workers: 1 });
    expect((await plan()).status).toBe(0);
  }, 60_000);

  it('when a host key changed: an error document, kind refused, exit 1', async () => {
    await lab.setFault(`${ENV}-worker-1`, { kind: 'hostKeyChange' });
    mark();
    const r = await plan('--json');
    expect(r.status).toBe(1);
    const document = documentOf(r);
    expect(document.error!.kind).toBe('refused');
    expect(document.error!.message).toContain(`HOST KEY CHANGED for 127.${NET}.1.11`);
    expect(document.error!.message).toContain(`herd forget-host ${ENV} ${ENV}-worker-1`);
    expect(r.stderr).toContain('HOST KEY CHANGED');
    for (const h of lab.hosts) expect(sinceMark(h.name), h.name).toEqual([]);
  }, 60_000);

  it('for an invalid environment file: the problems with their places, exit 1', async () => {
    env.write({ controlPlanes: 1, workers: 1 }, { controlPlane: { count: 2 } });
    const r = await plan('--json');
    expect(r.status).toBe(1);
    const document = documentOf(r) as Document & { error: { issues: { path: string; line?: number }[] } };
    expect(document.error.kind).toBe('refused');
    expect(document.error.issues.map((i) => i.path)).toEqual(['controlPlane.count']);
    expect(document.error.issues[0]!.line).toBeGreaterThan(0);
  }, 60_000);
});
