import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

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
  rmSync(privateKeyFile, { force: true });
  rmSync(publicKeyFile, { force: true });
  // OpenSSH's own generator: ssh2's generateKeyPairSync drops a leading zero byte of the
  // ed25519 public key about once in 250 keys, and such a key cannot log in.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'herd-lab', '-f', privateKeyFile]);
  chmodSync(privateKeyFile, 0o600);
  return { privateKeyFile, publicKey: readFileSync(publicKeyFile, 'utf8').trim() };
}
