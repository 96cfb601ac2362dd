import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { KnownHosts, fingerprint, knownHostsName } from '../../scripts/ssh/known-hosts.ts';
import { trustOnFirstUse } from '../../scripts/ssh/host-key-trust.ts';

function hostKeyBlob(): Buffer {
  const { public: pub } = ssh2.utils.generateKeyPairSync('ed25519');
  return Buffer.from(pub.split(' ')[1]!, 'base64');
}

const endpoint = { name: 'lab-cp-1', host: '127.10.0.11', port: 22, user: 'herd' };
const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'herd-kh-')), 'sub', 'known_hosts');

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('prints fingerprints in ssh-keygen form', () => {
    expect(fingerprint(Buffer.from('abc').toString('base64'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });

  it('records a host on first contact, 0600, and accepts the same key again', () => {
    const file = tempFile();
    const seen: string[] = [];
    const check = trustOnFirstUse(new KnownHosts(file), (e, fp) => seen.push(`${e.name} ${fp}`));
    const blob = hostKeyBlob();
    expect(check(endpoint, blob)).toBeUndefined();
    expect(check(endpoint, blob)).toBeUndefined();
    expect(seen).toEqual([`lab-cp-1 ${fingerprint(blob.toString('base64'))}`]);
    expect(readFileSync(file, 'utf8')).toBe(`127.10.0.11 ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a changed key, naming the host, both fingerprints and the way forward', () => {
    const file = tempFile();
    const check = trustOnFirstUse(new KnownHosts(file));
    const old = hostKeyBlob();
    const now = hostKeyBlob();
    check(endpoint, old);
    const refusal = check(endpoint, now);
    expect(refusal).toContain('HOST KEY CHANGED for 127.10.0.11');
    expect(refusal).toContain(`records ssh-ed25519 ${fingerprint(old.toString('base64'))}`);
    expect(refusal).toContain(`now offers ssh-ed25519 ${fingerprint(now.toString('base64'))}`);
    expect(refusal).toContain('herd forget-host lab-cp-1');
    expect(refusal).toContain('Nothing was done on any host');
  });

  it('forgets a host (plain and hashed entries) and keeps the others', () => {
    const file = tempFile();
    const store = new KnownHosts(file);
    store.add('10.0.0.1', { type: 'ssh-ed25519', key: 'AAAA1' });
    store.add('10.0.0.2', { type: 'ssh-ed25519', key: 'AAAA2' });
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.1').digest('base64')}`;
    writeFileSync(file, `# comment\n${readFileSync(file, 'utf8')}${hashed} ssh-rsa AAAA3\n`);
    expect(store.lookup('10.0.0.1').map((k) => k.key)).toEqual(['AAAA1', 'AAAA3']);
    expect(store.forget('10.0.0.1')).toBe(2);
    expect(store.lookup('10.0.0.1')).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('# comment\n10.0.0.2 ssh-ed25519 AAAA2\n');
    expect(store.forget('10.0.0.9')).toBe(0);
  });
});
