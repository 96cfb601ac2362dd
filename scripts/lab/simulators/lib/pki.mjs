// The cluster CA kubeadm init creates: a real X.509 certificate (made by the
// host's openssl), so that a script can compute the discovery hash from
// /etc/kubernetes/pki/ca.crt the way kubeadm's documentation shows.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PKI_DIR = '/etc/kubernetes/pki';

/** Creates ca.crt and ca.key in PKI_DIR; returns the certificate PEM. */
export function createCa() {
  mkdirSync(PKI_DIR, { recursive: true, mode: 0o755 });
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=kubernetes',
      '-keyout', join(PKI_DIR, 'ca.key'), '-out', join(PKI_DIR, 'ca.crt'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return readFileSync(join(PKI_DIR, 'ca.crt'), 'utf8');
}

/** "sha256:<hex>" of the certificate's SubjectPublicKeyInfo: what --discovery-token-ca-cert-hash pins. */
export function caCertHash(pem) {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The other files of a control plane's PKI; the lab does not issue them, so they hold a note instead. */
const PLACEHOLDERS = [
  'apiserver.crt', 'apiserver.key', 'apiserver-kubelet-client.crt', 'apiserver-kubelet-client.key', 'apiserver-etcd-client.crt', 'apiserver-etcd-client.key',
  'front-proxy-ca.crt', 'front-proxy-ca.key', 'front-proxy-client.crt', 'front-proxy-client.key', 'sa.key', 'sa.pub',
  'etcd/ca.crt', 'etcd/ca.key', 'etcd/server.crt', 'etcd/server.key', 'etcd/peer.crt', 'etcd/peer.key', 'etcd/healthcheck-client.crt', 'etcd/healthcheck-client.key',
];

export function writePkiPlaceholders() {
  mkdirSync(join(PKI_DIR, 'etcd'), { recursive: true, mode: 0o755 });
  for (const name of PLACEHOLDERS) {
    writeFileSync(join(PKI_DIR, name), '# herd lab: simulated, not a real certificate or key\n', { mode: name.endsWith('.key') ? 0o600 : 0o644 });
  }
}

/** A joining control plane downloads the CA's key with the other certificates (kubeadm-certs); the lab's copy is a note. */
export function writeJoinedCaKey() {
  writeFileSync(join(PKI_DIR, 'ca.key'), '# herd lab: simulated copy of the cluster CA key, from the kubeadm-certs Secret\n', { mode: 0o600 });
}

export function writeCaCert(pem) {
  mkdirSync(PKI_DIR, { recursive: true, mode: 0o755 });
  writeFileSync(join(PKI_DIR, 'ca.crt'), pem, { mode: 0o644 });
}
