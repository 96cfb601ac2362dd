import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';

// `herd versions`, `herd validate`'s warnings and CI's check, as an operator runs them, with the
// day judged injected (HERD_TODAY or --today) so that no result depends on the clock.

function run(command: string, args: readonly string[], today?: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env['HERD_TODAY'];
  if (today !== undefined) env['HERD_TODAY'] = today;
  const r = spawnSync(command, args, { cwd: PROJECT_DIR, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const herd = (args: readonly string[], today?: string) => run('node', ['bin/herd.mjs', ...args], today);
const defaults = join(PROJECT_DIR, 'stacks/environments/_defaults.yaml');

describe('herd versions', () => {
  it('prints the table, what a new environment gets, and what each environment pins', () => {
    const r = herd(['versions'], '2026-12-01');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1\.37 +1\.37\.1 +2026-08-26 +2027-10-28 +supported +kubeadm\.k8s\.io\/v1beta4 +3\.10\.1 +2\.0\.4\+ +3\.33$/m);
    expect(r.stdout).toMatch(/^1\.34 +1\.34\.9 +2025-08-27 +2026-10-27 +end of life: upgrade from it /m);
    expect(r.stdout).toMatch(/^2\.3 +2\.3\.5 +2026-04-27 +2028-04-27 +supported, LTS +version 3$/m);
    expect(r.stdout).toMatch(/^1\.7 +1\.7\.31 +2023-03-10 +2026-09-30 +end of life, LTS +version 2$/m);
    expect(r.stdout).toContain('A new environment gets Kubernetes 1.36.4, containerd 2.3.5 and Calico 3.32.1; new clusters are built on 1.37, 1.36, 1.35.');
    expect(r.stdout).toMatch(/^lab +1\.36\.4 +2\.3\.5 +3\.32\.1 +0$/m);
  });

  it('--check passes while no default is past its end of life', () => {
    const r = herd(['versions', '--check'], '2026-12-01');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('check: ok: no default and no environment pins a version past its end of life on 2026-12-01\n');
  });

  it('--check exits 1 once a default is past its end of life, naming it and the date', () => {
    const r = herd(['versions', '--check', '--today', '2027-07-01', 'lab']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('check: FAILED: the default for new environments pins Kubernetes 1.36.4, past its end of life on 2027-06-28\n');
    expect(r.stdout).toContain('check: FAILED: environment lab pins Kubernetes 1.36.4, past its end of life on 2027-06-28\n');
    expect(r.stdout).toContain('check: the table was reviewed 212 days ago (2026-12-01); refresh it (README.md, "Refreshing the table of versions")\n');
    // The environment's own warning, located in its file.
    expect(r.stdout).toMatch(new RegExp(`^WARNING: ${defaults}:\\d+: kubernetes\\.version: Kubernetes 1\\.36 reached its end of life on 2027-06-28: upstream no longer patches it; upgrade to 1\\.37\\.1, one minor at a time$`, 'm'));
  });

  it('refuses --live without environment names (it would connect to every node of every environment)', () => {
    const r = herd(['versions', '--live']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--live connects to every node of an environment: name the environments to read');
  });

  it('refuses a day that is not a date', () => {
    const r = herd(['versions', '--today', '2027-13-45']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('HERD_TODAY must be a date YYYY-MM-DD, not "2027-13-45"');
  });
});

describe('herd validate', () => {
  it('warns about a version past its end of life, with file, line and path, and still succeeds', () => {
    const r = herd(['validate', 'lab'], '2027-07-01');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('lab: valid\n');
    expect(r.stderr).toMatch(new RegExp(`^WARNING: ${defaults}:\\d+: kubernetes\\.version: Kubernetes 1\\.36 reached its end of life on 2027-06-28`, 'm'));
  });

  it('says nothing while the versions are current', () => {
    expect(herd(['validate', 'lab'], '2026-12-01')).toMatchObject({ status: 0, stderr: '' });
  });
});

describe("CI's check of the versions (.ci/versions-check)", () => {
  it('prints a failed check as a warning and exits 0', () => {
    const r = run('bash', ['.ci/versions-check'], '2028-05-01');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('WARNING: herd versions --check exited 1; CI goes on:\n');
    expect(r.stdout).toContain('check: FAILED: the default for new environments pins containerd 2.3.5, past its end of life on 2028-04-27\n');
  });

  it('prints a passing check as it is', () => {
    expect(run('bash', ['.ci/versions-check'], '2026-12-01')).toMatchObject({ status: 0, stdout: 'check: ok: no default and no environment pins a version past its end of life on 2026-12-01\n' });
  });
});
