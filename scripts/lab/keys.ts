import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

export interface LabKeyPair {
  readonly privateKeyFile: string;
  /** OpenSSH one-line public key, as authorized_keys takes it. */
  readonly publicKey: string;
}

/**
 * The lab's login key: kept if present (hosts already running accept it),
 * otherwise generated. The private key is written 0600, as OpenSSH demands.
 */
export function ensureKeyPair(privateKeyFile: string): LabKeyPair {
  const publicKeyFile = `${privateKeyFile}.pub`;
  if (existsSync(privateKeyFile) && existsSync(publicKeyFile)) {
    chmodSync(privateKeyFile, 0o600);
    return { privateKeyFile, publicKey: readFileSync(publicKeyFile, 'utf8').trim() };
  }
  mkdirSync(dirname(privateKeyFile), { recursive: true, mode: 0o700 });
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'herd-lab' });
  writeFileSync(privateKeyFile, pair.private, { mode: 0o600 });
  chmodSync(privateKeyFile, 0o600);
  writeFileSync(publicKeyFile, `${pair.public.trim()}\n`, { mode: 0o644 });
  return { privateKeyFile, publicKey: pair.public.trim() };
}
