import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

// The certificates herd trusts for vCenter: the same as the vSphere provider
// (Go) trusts on Linux, so that one setup serves both. That is the system's
// CA bundle, or the file SSL_CERT_FILE names instead; plus Node's own roots
// and NODE_EXTRA_CA_CERTS, for those who configure Node that way.

/** Where Go's crypto/x509 looks for the system's bundle on Linux, in its order. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function trustedCertificates(env: NodeJS.ProcessEnv = process.env): string[] {
  const bundle = env['SSL_CERT_FILE'] ?? SYSTEM_BUNDLES.find((f) => existsSync(f));
  const files = [bundle, env['NODE_EXTRA_CA_CERTS']].filter((f): f is string => f !== undefined && f !== '');
  return [...rootCertificates, ...files.flatMap((f) => pemsIn(f))];
}

function pemsIn(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').match(PEM) ?? [];
  } catch (err) {
    throw new Error(`cannot read the CA certificates in ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
