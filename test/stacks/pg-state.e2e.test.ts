import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { herdApp } from '../../stacks/app.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { quietTerraformEnv } from '../../stacks/terraform-cli.ts';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts } from '../../scripts/lab/environment-file.ts';
import { startPostgres, type PostgresServer } from '../../scripts/lab/postgres.ts';

// A team shares an environment's state in PostgreSQL (state.type: pg): two
// checkouts of the project, as on two operators' machines, deploy the same lab
// environment for real against a real PostgreSQL server on loopback. The
// password in PG_CONN_STR is a canary that must not show up anywhere.

const ENV = 'team';
const NET = 63;
const CANARY = 'pg-e2e-canary-7c41d9';
const SCHEMA = 'herd_team';

let server: PostgresServer;
let lab: Lab;
const work = mkdtempSync(join(tmpdir(), 'herd-pg-state-'));
const checkouts = { a: join(work, 'a'), b: join(work, 'b') };
type Checkout = keyof typeof checkouts;
let env: NodeJS.ProcessEnv;

const stackDir = (c: Checkout): string => join(checkouts[c], 'cdktf.out', 'stacks', ENV);
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

interface Run {
  readonly status: number | null;
  readonly out: string;
}

/** Runs a command to its end; `onOutput` sees the output so far as it grows. */
function run(command: string, args: readonly string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}, onOutput?: (out: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (d: Buffer): void => {
      out += d.toString();
      onOutput?.(out);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out: plain(out) }));
  });
}

const terraform = (c: Checkout, ...args: string[]): Promise<Run> => run('terraform', [...args, '-no-color', '-input=false'], stackDir(c));
const apply = (c: Checkout, extraEnv: NodeJS.ProcessEnv = {}, onOutput?: (out: string) => void): Promise<Run> =>
  run('terraform', ['apply', '-auto-approve', '-no-color', '-input=false'], stackDir(c), extraEnv, onOutput);

/** Writes the environment file into a checkout and synthesizes its stack; `concurrency` stands for any change that reaches the nodes. */
function configure(c: Checkout, concurrency: number): void {
  const dir = join(checkouts[c], 'stacks', 'environments');
  // Paths as a team writes them: the same in every checkout, so that both compute the same desired state.
  const ssh = { user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: 'known_hosts', connectTimeoutSeconds: 5, commandTimeoutSeconds: 120 };
  labEnvironment(ENV, dir, lab, NET).write({ controlPlanes: 1, workers: 1 }, { ssh, state: { type: 'pg' }, provisioner: { concurrency } });
  herdApp({ outdir: join(checkouts[c], 'cdktf.out'), environmentsDir: dir, environments: [ENV] }).synth();
}

async function storedState(): Promise<{ serial: number; resources: string[]; text: string }> {
  const client = new pg.Client({ connectionString: server.connStr });
  await client.connect();
  try {
    const { rows } = await client.query<{ data: string }>(`SELECT data FROM ${SCHEMA}.states WHERE name = 'default'`);
    const text = rows[0]!.data;
    const state = JSON.parse(text) as { serial: number; resources: { type: string; name: string }[] };
    return { serial: state.serial, resources: state.resources.map((r) => `${r.type}.${r.name}`).sort(), text };
  } finally {
    await client.end();
  }
}

const RESOURCES = ['terraform_data.node_removal', 'terraform_data.reconcile', 'terraform_data.teardown'];

beforeAll(async () => {
  server = await startPostgres({ address: '127.60.0.1', port: 55432, password: CANARY });
  env = quietTerraformEnv({ ...process.env, PG_CONN_STR: server.connStr });
  lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(ENV, NET, 1, 1) });
  for (const dir of Object.values(checkouts)) {
    for (const entry of ['bin', 'scripts', 'stacks', 'templates', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc']) {
      cpSync(join(PROJECT_DIR, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(dir, 'node_modules'));
  }
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  server?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('state in PostgreSQL, shared by two checkouts', () => {
  it('cdktf deploy stores the state in PostgreSQL, none on this machine', async () => {
    configure('a', 10);
    const started = Date.now();
    const r = await run('npx', ['cdktf', 'deploy', ENV, '--auto-approve'], checkouts.a);
    expect(r.status, r.out).toBe(0);
    process.stdout.write(`cdktf deploy ${ENV} with the pg backend, 2 lab hosts from nothing: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(r.out).toContain('[team-cp-1] verify: check the API, nodes Ready, BGP sessions Established (read-only) ok');
    expect((await storedState()).resources).toEqual(RESOURCES);
    expect(existsSync(join(checkouts.a, '.herd', ENV, 'terraform.tfstate'))).toBe(false);
  }, 180_000);

  it('a second checkout sees that state and plans no change', async () => {
    configure('b', 10);
    expect((await terraform('b', 'init')).status).toBe(0);
    const r = await terraform('b', 'plan', '-detailed-exitcode');
    expect(r.out).toContain('No changes.');
    expect(r.status).toBe(0);
  }, 60_000);

  it('of two deploys started together, one proceeds and the other fails at once; the state is the first’s', async () => {
    configure('a', 11);
    configure('b', 11);
    const before = (await storedState()).serial;
    const runs = await Promise.all([apply('a'), apply('b')]);
    const [winner, loser] = runs[0]!.status === 0 ? runs : [runs[1]!, runs[0]!];
    expect(winner!.status, winner!.out).toBe(0);
    expect(winner!.out).toContain('Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    expect(loser!.status).toBe(1);
    // Terraform's pg backend keeps no lock record: its "Lock Info" is the refused run's own, not the holder's.
    expect(loser!.out).toMatch(/Error acquiring the state lock[\s\S]*Error message: (Workspace is already locked|Cannot lock workspace; already locked for workspace creation): default/);
    const after = await storedState();
    expect(after.resources).toEqual(RESOURCES);
    expect(after.serial).toBeGreaterThan(before);
    for (const c of ['a', 'b'] as const) expect((await terraform(c, 'plan', '-detailed-exitcode')).status).toBe(0);
  }, 180_000);

  it('herd locks names the session that holds Terraform’s state lock, which Terraform’s own refusal cannot', async () => {
    configure('a', 13);
    const locks = (): Promise<Run> => run('node', ['bin/herd.mjs', 'locks', ENV], checkouts.b);
    expect((await locks()).out).toBe(`${ENV}: Terraform's state lock (PostgreSQL, ${SCHEMA}.states "default"): free\n${ENV}: herd's lock (PostgreSQL advisory lock): free\n`);
    let deploying = true;
    const deploy = apply('a', { PGAPPNAME: 'terraform alice@ws1' }).finally(() => (deploying = false));
    const seen: string[] = [];
    while (deploying) seen.push((await locks()).out);
    expect((await deploy).status).toBe(0);
    expect(seen.join('')).toMatch(new RegExp(`${ENV}: Terraform's state lock \\(PostgreSQL, ${SCHEMA}.states "default"\\): held by PostgreSQL session "terraform alice@ws1" of user \\S+ from \\S+ since \\d{4}-`));
  }, 180_000);

  it('with -lock-timeout the second deploy waits for the first, then finds nothing to do', async () => {
    configure('a', 12);
    configure('b', 12);
    const first = apply('a');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const second = await apply('b', { TF_CLI_ARGS_apply: '-lock-timeout=120s' });
    expect((await first).status).toBe(0);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
  }, 180_000);

  it('of two herd applies started together, one proceeds and the other fails at once, naming the holder', async () => {
    const herd = (c: Checkout): Promise<Run> => run('node', ['bin/herd.mjs', 'apply', ENV, '--verify-timeout', '60'], checkouts[c]);
    const runs = await Promise.all([herd('a'), herd('b')]);
    const [winner, loser] = runs[0]!.status === 0 ? runs : [runs[1]!, runs[0]!];
    expect(winner!.status, winner!.out).toBe(0);
    expect(loser!.status).toBe(2);
    expect(loser!.out).toMatch(/herd: another herd run holds this environment's lock: herd apply by \S+@\S+ \(pid \d+\) since \S+\. Wait for it to finish/);
  }, 120_000);

  it('PostgreSQL stopped during a deploy fails it clearly; after it returns the next deploy completes with no state lost', async () => {
    configure('a', 13);
    const before = await storedState();
    let stopped = false;
    const r = await apply('a', {}, (out) => {
      if (!stopped && out.includes('terraform_data.reconcile (local-exec): ==> Connect to')) {
        stopped = true;
        server.stop();
      }
    });
    expect(stopped).toBe(true);
    expect(r.status).toBe(1);
    expect(r.out).toContain('Error: Failed to save state');
    expect(r.out).toContain('dial tcp 127.60.0.1:55432: connect: connection refused');
    expect(r.out).not.toContain(CANARY);
    // Terraform keeps what it did in errored.tfstate; PostgreSQL still holds the state from before this deploy.
    const errored = join(stackDir('a'), 'errored.tfstate');
    expect(existsSync(errored)).toBe(true);

    server.start();
    expect((await storedState()).serial).toBe(before.serial);
    const push = await run('terraform', ['state', 'push', 'errored.tfstate'], stackDir('a'));
    expect(push.status, push.out).toBe(0);
    rmSync(errored);
    // The session that held Terraform's lock died with the server: no force-unlock, and nothing left to do.
    const again = await apply('a');
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    expect((await storedState()).resources).toEqual(RESOURCES);
  }, 240_000);

  it('the password in PG_CONN_STR reached no synthesized file, no state and no log', async () => {
    const files = (dir: string): string[] =>
      existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name)) : [];
    const written = Object.values(checkouts).flatMap((dir) => [...files(join(dir, 'cdktf.out')), ...files(join(dir, '.herd'))]);
    expect(written.some((f) => f.includes(`${join('.herd', ENV, 'logs')}`))).toBe(true);
    for (const file of written) expect(readFileSync(file).includes(CANARY), file).toBe(false);
    expect((await storedState()).text).not.toContain(CANARY);
  });
});
