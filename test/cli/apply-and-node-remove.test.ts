import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';

// The two commands the stack runs, on input they must refuse, and `node
// remove` where no host answers. A copy of the lab environment, with its own
// key and known_hosts in a temporary folder.

const dir = mkdtempSync(join(tmpdir(), 'herd-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const knownHosts = join(dir, 'known_hosts');
copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, '_defaults.yaml'), join(dir, '_defaults.yaml'));
const lab = parse(readFileSync(join(DEFAULT_ENVIRONMENTS_DIR, 'lab.yaml'), 'utf8')) as { ssh: Record<string, unknown> & { bastion: Record<string, unknown> } };
lab.ssh['knownHostsFile'] = knownHosts;
lab.ssh['privateKeyFile'] = join(dir, 'id_ed25519');
lab.ssh.bastion['privateKeyFile'] = join(dir, 'id_ed25519');
writeFileSync(join(dir, 'lab.yaml'), stringify(lab));
spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')]);

function herd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['bin/herd.mjs', '--environments', dir, ...args], { cwd: PROJECT_DIR, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('herd apply', () => {
  it('refuses an unknown environment with exit code 2', () => {
    const r = herd('apply', 'nosuch');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot read ${join(dir, 'nosuch.yaml')}: ENOENT`);
  });
});

describe('herd node remove', () => {
  it('removes a node nobody can reach with warnings, not an error, and forgets its host key', () => {
    writeFileSync(
      knownHosts,
      ['198.18.10.22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+', '198.18.10.21 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+', ''].join('\n'),
    );
    // Nothing listens on the lab's addresses here: neither the control plane nor the node answers.
    // lab-worker-2 may already be gone from the file (a lowered count): the command must not need it there.
    const r = herd('node', 'remove', 'lab', 'lab-worker-2', '--address', '198.18.10.22');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('WARNING: no control plane of lab could be reached: lab-worker-2 was NOT drained or deleted in Kubernetes');
    // Nothing removed it from the cluster, so nothing may say it was.
    expect(r.stdout).not.toContain('removed from the cluster');
    expect(r.stdout).toContain('WARNING: lab-worker-2 (198.18.10.22) was not reset (kubeadm reset): cannot reach 1 host');
    expect(r.stdout).toContain('[lab-worker-2] dropped 1 known_hosts entry for 198.18.10.22');
    expect(readFileSync(knownHosts, 'utf8')).toBe('198.18.10.21 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs+o0YHh79JFPZ5Sg8DWWaEELpM7Jyk0B0VdQ+2ciL+\n');
  }, 60_000);

  it('refuses an address that is not one', () => {
    const r = herd('node', 'remove', 'lab', 'lab-worker-2', '--address', '127.10.1');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("option '--address <ip>' argument '127.10.1' is invalid. must be an IPv4 address such as 10.0.0.5");
  });

  it('needs --address', () => {
    const r = herd('node', 'remove', 'lab', 'lab-worker-2');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("required option '--address <ip>' not specified");
  });

  it('refuses a timeout that is not a whole number of seconds', () => {
    const r = herd('node', 'remove', 'lab', 'lab-worker-2', '--address', '198.18.10.22', '--timeout', '0');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("option '--timeout <seconds>' argument '0' is invalid. must be a whole number of seconds, at least 1");
  });
});

describe('herd reset', () => {
  it('refuses without a terminal to confirm on and without --yes, before it connects', () => {
    const r = herd('reset', 'lab');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('herd: refused: herd reset lab asks for confirmation on a terminal, and there is none: pass --yes to reset without asking.\nNothing was changed.\n');
    expect(r.stdout).toBe('');
  });

  it('on a terminal, refuses an answer that is not the environment name, before it connects', () => {
    // script(1) gives herd a terminal; the answer is typed into it.
    const r = spawnSync('script', ['-qec', `node bin/herd.mjs --environments ${dir} reset lab`, '/dev/null'], { cwd: PROJECT_DIR, input: 'labb\n', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('herd reset lab resets 3 hosts (lab-cp-1, lab-worker-1, lab-worker-2)');
    expect(r.stdout).toContain('Type the environment name (lab) to reset it:');
    expect(r.stdout).toContain('herd: refused: the answer was not "lab".');
    expect(r.stdout).not.toContain('Connect');
  });
});

describe('herd plan before it connects', () => {
  /** `herd plan lab` on a copy of the lab environment with these ssh settings, without an ssh-agent. */
  // herd plan exits 1 on any error, as terraform plan -detailed-exitcode does; the message says nothing was changed.
  function planWithSsh(ssh: Record<string, unknown>): { status: number | null; stdout: string; stderr: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'herd-ssh-'));
    copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, '_defaults.yaml'), join(dir, '_defaults.yaml'));
    const copy = parse(readFileSync(join(DEFAULT_ENVIRONMENTS_DIR, 'lab.yaml'), 'utf8')) as { ssh: Record<string, unknown> };
    copy.ssh = { user: 'herd', knownHostsFile: join(dir, 'known_hosts'), ...ssh };
    writeFileSync(join(dir, 'lab.yaml'), stringify(copy));
    const { SSH_AUTH_SOCK: _sock, ...withoutAgent } = process.env;
    const r = spawnSync('node', ['bin/herd.mjs', '--environments', dir, 'plan', 'lab'], { cwd: PROJECT_DIR, encoding: 'utf8', env: withoutAgent });
    rmSync(dir, { recursive: true, force: true });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, file: join(dir, 'lab.yaml') };
  }

  it('refuses ssh.agent without SSH_AUTH_SOCK, naming the file and path, and contacts no host', () => {
    const r = planWithSsh({ agent: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${r.file}:`);
    expect(r.stderr).toContain('ssh.agent: is true but SSH_AUTH_SOCK is not set');
    expect(r.stdout).toBe('');
  });

  it('refuses a private key file it cannot read, naming the file and path, and contacts no host', () => {
    const r = planWithSsh({ agent: false, privateKeyFile: '/nonexistent/id_ed25519' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ssh.privateKeyFile: cannot read the private key /nonexistent/id_ed25519: ENOENT');
    expect(r.stdout).toBe('');
  });
});
