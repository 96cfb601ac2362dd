import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { fingerprint, trustOnFirstUse } from '../../scripts/ssh/host-key-trust.ts';

/** An ed25519 host key as SSH sends it: string "ssh-ed25519", then the 32-byte key, each length-prefixed. */
function hostKeyBlob(): Buffer {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const field = (data: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(Buffer.from(jwk.x!, 'base64url'))]);
}

const endpoint = { name: 'lab-cp-1', host: '127.10.0.11', port: 22, user: 'herd' };
const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'herd-trust-')), 'sub', 'known_hosts');

describe('host key trust on first use', () => {
  it('prints fingerprints in ssh-keygen form', () => {
    expect(fingerprint(Buffer.from('abc').toString('base64'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });

  it('records a host on first contact, 0600, and accepts the same key again', async () => {
    const file = tempFile();
    const seen: string[] = [];
    const check = trustOnFirstUse(file, 'prod', (e, fp) => seen.push(`${e.name} ${fp}`));
    const blob = hostKeyBlob();
    expect(await check(endpoint, blob)).toBeUndefined();
    expect(await check(endpoint, blob)).toBeUndefined();
    expect(seen).toEqual([`lab-cp-1 ${fingerprint(blob.toString('base64'))}`]);
    expect(readFileSync(file, 'utf8')).toBe(`127.10.0.11 ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a changed key, naming the host, both fingerprints and the way forward', async () => {
    const file = tempFile();
    const check = trustOnFirstUse(file, 'prod');
    const old = hostKeyBlob();
    const now = hostKeyBlob();
    await check(endpoint, old);
    const refusal = await check(endpoint, now);
    expect(refusal).toContain('HOST KEY CHANGED for 127.10.0.11');
    expect(refusal).toContain(`records ssh-ed25519 ${fingerprint(old.toString('base64'))}`);
    expect(refusal).toContain(`now offers ssh-ed25519 ${fingerprint(now.toString('base64'))}`);
    expect(refusal).toContain('herd forget-host prod lab-cp-1');
    expect(refusal).toContain('Nothing was done on any host');
    expect(readFileSync(file, 'utf8')).toBe(`127.10.0.11 ssh-ed25519 ${old.toString('base64')}\n`);
  });

  it('names a non-standard port as OpenSSH does', async () => {
    const file = tempFile();
    await trustOnFirstUse(file, 'prod')({ ...endpoint, port: 2222 }, hostKeyBlob());
    expect(readFileSync(file, 'utf8')).toMatch(/^\[127\.10\.0\.11\]:2222 ssh-ed25519 /);
  });
});
