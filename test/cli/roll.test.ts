import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';
import { PROJECT_DIR, environmentStateDir } from '../../stacks/project.ts';

// herd roll and herd node replace on input they must refuse: each refusal
// names what is wrong and what to do, exits 2, and contacts no host (nothing
// listens at these addresses: a command that tried would say so).

const ENV = 'rollcli';
const dir = mkdtempSync(join(tmpdir(), 'herd-roll-cli-'));
const state = environmentStateDir(ENV);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});
copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, '_defaults.yaml'), join(dir, '_defaults.yaml'));
spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')]);

function writeEnv(controlPlanes: 1 | 3): void {
  const hosts = [1, 2, 3].map((i) => ({ name: `${ENV}-cp-${i}`, address: `127.95.0.${10 + i}` })).concat([{ name: `${ENV}-worker-1`, address: '127.95.1.11' }]);
  writeFileSync(
    join(dir, `${ENV}.yaml`),
    stringify({
      extends: '_defaults.yaml',
      infrastructure: { type: 'static', hosts },
      network: { cidr: '127.95.0.0/16', gateway: '127.95.0.1', dnsServers: ['127.0.0.53'] },
      controlPlane: { count: controlPlanes, endpoint: { type: 'loadBalancer', address: '127.95.0.5' } },
      workerPools: [{ name: 'worker', count: 1 }],
      ssh: { user: 'herd', agent: false, privateKeyFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts'), connectTimeoutSeconds: 1 },
    }),
  );
}

function herd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['bin/herd.mjs', '--environments', dir, ...args], { cwd: PROJECT_DIR, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('herd roll and herd node replace refuse, before contacting any host', () => {
  it('an unknown pool, naming the pools', () => {
    writeEnv(3);
    const r = herd('roll', ENV, '--pool', 'workers');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`herd: refused: ${ENV} has no pool named workers; its pools are cp, worker (cp: the control planes)\nNothing was changed.\n`);
  });

  it('an unknown node', () => {
    const r = herd('node', 'replace', ENV, `${ENV}-worker-9`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`herd: refused: ${ENV} has no node named ${ENV}-worker-9; \`herd nodes ${ENV}\` lists them\nNothing was changed.\n`);
  });

  it('the only control plane, saying how to roll the workers', () => {
    writeEnv(1);
    const r = herd('roll', ENV);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`herd: refused: ${ENV}-cp-1 is the only control plane: replacing it would take etcd's only member, and with it the cluster's state and CA key. Raise controlPlane.count to 3 and apply first, or leave the control plane out (--pool worker).`);
    const one = herd('node', 'replace', ENV, `${ENV}-cp-1`);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain(`${ENV}-cp-1 is the only control plane`);
  });

  it('--surge on static hosts', () => {
    const r = herd('roll', ENV, '--pool', 'worker', '--surge');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('herd: refused: --surge adds machines, which herd can do only on vSphere: static hosts exist before herd, and their number is what the file lists\nNothing was changed.\n');
  });

  it('a timeout that is not a number of seconds', () => {
    const r = herd('roll', ENV, '--reimage-timeout', '0');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("option '--reimage-timeout <seconds>' argument '0' is invalid. must be a whole number of seconds, at least 1");
  });

  it('another roll while one is unfinished, naming it and how to finish or abandon it', () => {
    mkdirSync(state, { recursive: true });
    const progress = { version: 1, env: ENV, command: `herd roll ${ENV} --pool worker`, startedAt: '2026-12-01T10:00:00.000Z', batches: [[`${ENV}-worker-1`]], nodes: { [`${ENV}-worker-1`]: { step: 'out' } } };
    writeFileSync(join(state, 'roll.json'), JSON.stringify(progress));
    const r = herd('node', 'replace', ENV, `${ENV}-worker-1`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `herd: refused: \`herd roll ${ENV} --pool worker\` (started 2026-12-01T10:00:00.000Z) did not finish: run it again to finish it before \`herd node replace ${ENV} ${ENV}-worker-1\`. ` +
        `To abandon it instead, remove ${join(state, 'roll.json')}; nodes it left out of the cluster are joined by herd apply.\nNothing was changed.\n`,
    );
    expect(JSON.parse(readFileSync(join(state, 'roll.json'), 'utf8'))).toEqual(progress);
  });
});
