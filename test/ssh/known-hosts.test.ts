import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { forget, hostToken, knownHostsPath, lookup, remember, type HostKey } from '../../scripts/ssh/known-hosts.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';

// known_hosts as OpenSSH reads it: checked against ssh-keygen itself (-F finds,
// -H hashes), since the provisioner and operators' own ssh share these files.

const dir = mkdtempSync(join(tmpdir(), 'herd-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `known_hosts-${++n}`);

function hostKey(): HostKey {
  const keyFile = join(dir, `hostkey-${++n}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const [type, key] = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(' ');
  return { type: type!, key: key! };
}

/** What `ssh-keygen -F` finds for a host token, as "type key" lines. */
function sshKeygenFind(file: string, token: string): string[] {
  const r = spawnSync('ssh-keygen', ['-F', token, '-f', file], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(' ').slice(1, 3).join(' '));
}

describe('known_hosts', () => {
  const k1 = hostKey();
  const k2 = hostKey();

  it('names non-22 ports the way ssh does', () => {
    expect(hostToken('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(hostToken('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('remembers keys so that ssh-keygen -F finds them, and finds them back', async () => {
    const file = fresh();
    await remember(file, '10.0.0.5', 22, k1);
    await remember(file, '10.0.0.6', 2222, k2);
    expect(sshKeygenFind(file, '10.0.0.5')).toEqual([`${k1.type} ${k1.key}`]);
    expect(sshKeygenFind(file, '[10.0.0.6]:2222')).toEqual([`${k2.type} ${k2.key}`]);
    expect(lookup(file, '10.0.0.5', 22)).toEqual([k1]);
    expect(lookup(file, '10.0.0.6', 2222)).toEqual([k2]);
    expect(lookup(file, '10.0.0.6', 22)).toEqual([]);
  });

  it('reads and forgets hashed entries (ssh-keygen -H)', async () => {
    const file = fresh();
    await remember(file, '10.0.0.5', 22, k1);
    await remember(file, '10.0.0.7', 22, k2);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).not.toContain('10.0.0.5');
    expect(lookup(file, '10.0.0.5', 22)).toEqual([k1]);
    expect(await forget(file, ['10.0.0.5'], 22)).toBe(1);
    expect(lookup(file, '10.0.0.5', 22)).toEqual([]);
    expect(sshKeygenFind(file, '10.0.0.5')).toEqual([]);
    expect(sshKeygenFind(file, '10.0.0.7')).toEqual([`${k2.type} ${k2.key}`]);
  });

  it('forgets one name of a multi-name line and keeps the others, comments and markers', async () => {
    const file = fresh();
    writeFileSync(
      file,
      [
        '# managed by hand',
        `10.0.0.5,node-a ${k1.type} ${k1.key} a comment`,
        `@cert-authority 10.0.0.5 ${k2.type} ${k2.key}`,
        `10.0.0.9 ${k2.type} ${k2.key}`,
        '',
      ].join('\n'),
    );
    expect(await forget(file, ['10.0.0.5', 'node-a'], 22)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(['# managed by hand', `@cert-authority 10.0.0.5 ${k2.type} ${k2.key}`, `10.0.0.9 ${k2.type} ${k2.key}`, ''].join('\n'));
    const partial = fresh();
    writeFileSync(partial, `10.0.0.5,node-a ${k1.type} ${k1.key} a comment\n`);
    expect(await forget(partial, ['10.0.0.5'], 22)).toBe(1);
    expect(readFileSync(partial, 'utf8')).toBe(`node-a ${k1.type} ${k1.key} a comment\n`);
  });

  it('forgets only the given port', async () => {
    const file = fresh();
    await remember(file, '10.0.0.5', 22, k1);
    await remember(file, '10.0.0.5', 2222, k2);
    expect(await forget(file, ['10.0.0.5'], 2222)).toBe(1);
    expect(lookup(file, '10.0.0.5', 22)).toEqual([k1]);
    expect(lookup(file, '10.0.0.5', 2222)).toEqual([]);
  });

  it('matches wildcards and negations as ssh does, and ignores @revoked lines for lookups', () => {
    const file = fresh();
    writeFileSync(file, [`10.0.0.*,!10.0.0.13 ${k1.type} ${k1.key}`, `@revoked 10.0.0.12 ${k2.type} ${k2.key}`, ''].join('\n'));
    expect(lookup(file, '10.0.0.12', 22)).toEqual([k1]);
    expect(lookup(file, '10.0.0.13', 22)).toEqual([]);
    expect(lookup(file, '10.0.1.12', 22)).toEqual([]);
  });

  it('a missing file has no keys, and forgetting from it changes nothing', async () => {
    const file = fresh();
    expect(lookup(file, '10.0.0.5', 22)).toEqual([]);
    expect(await forget(file, ['10.0.0.5'], 22)).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('parallel forgets of different hosts all take effect (Terraform runs removal hooks in parallel)', async () => {
    const file = fresh();
    const hosts = Array.from({ length: 30 }, (_, i) => `10.0.1.${i + 1}`);
    writeFileSync(file, [...hosts, 'keep.example.com'].map((h) => `${h} ${k1.type} ${k1.key}`).join('\n') + '\n');
    const dropped = await Promise.all(hosts.map((h) => forget(file, [h], 22)));
    expect(dropped).toEqual(hosts.map(() => 1));
    expect(readFileSync(file, 'utf8')).toBe(`keep.example.com ${k1.type} ${k1.key}\n`);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('lives in .herd/<env>/ by default, and where ssh.knownHostsFile says otherwise', () => {
    expect(knownHostsPath(loadEnvironmentByName('lab'))).toBe(join(PROJECT_DIR, '.herd', 'lab', 'known_hosts'));
    expect(knownHostsPath(loadEnvironmentByName('prod'))).toBe(join(homedir(), '.herd', 'prod', 'known_hosts'));
    const lab = loadEnvironmentByName('lab');
    const relative = { ...lab, spec: { ...lab.spec, ssh: { ...lab.spec.ssh, knownHostsFile: '../../.herd/shared_known_hosts' } } };
    expect(knownHostsPath(relative)).toBe(join(PROJECT_DIR, '.herd', 'shared_known_hosts'));
  });
});
