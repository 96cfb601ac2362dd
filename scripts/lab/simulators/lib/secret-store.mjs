// Secret values at rest in the simulated cluster. state.json keeps a digest of
// every value (what `kubectl get secret` shows); the value itself is sealed
// for the one reader that needs it, the simulated calico-node, which hands
// BGP passwords to BIRD as calico-node does. Sealing is hybrid: a fresh
// AES-256-GCM key per value, itself encrypted (RSA-OAEP, SHA-256) to the
// lab's sealing key, whose public half anyone on a host may use (kubectl runs
// as root or not) and whose private half only root reads. So no file holds a
// value in clear, and a grep for a password finds nothing, as with
// Kubernetes' encryption at rest. The lab makes the key pair when it starts
// (scripts/lab/cluster-state.ts, ensureSealingKeys).
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_DIR } from './paths.mjs';

const PUBLIC_KEY = join(CLUSTER_DIR, 'sealing.pub');
const PRIVATE_KEY = join(CLUSTER_DIR, 'sealing.key');
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

/** The sealed form of a value (a Buffer): "v1:<key>.<iv>.<tag>.<ciphertext>", base64 parts. */
export function seal(value) {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(value), cipher.final()]);
  const wrapped = publicEncrypt({ key: readFileSync(PUBLIC_KEY, 'utf8'), ...OAEP }, key);
  return `v1:${[wrapped, iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64')).join('.')}`;
}

/** The value a sealed string holds, as a Buffer; needs root (the private key is root's only). */
export function unseal(sealed) {
  const [wrapped, iv, tag, ciphertext] = sealed.replace(/^v1:/, '').split('.').map((p) => Buffer.from(p, 'base64'));
  const key = privateDecrypt({ key: readFileSync(PRIVATE_KEY, 'utf8'), ...OAEP }, wrapped);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
