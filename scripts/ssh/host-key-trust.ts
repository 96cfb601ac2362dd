import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { hostToken, lookup, remember } from './known-hosts.ts';
import type { HostKeyCheck, SshEndpoint } from './session.ts';

/** Called when a host is seen for the first time and its key recorded. */
export type FirstContact = (endpoint: SshEndpoint, keyFingerprint: string) => void;

/** OpenSSH's fingerprint form, as `ssh-keygen -lf` prints it. */
export function fingerprint(keyBase64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/**
 * OpenSSH's StrictHostKeyChecking=accept-new: a host never seen is recorded,
 * a known host must offer the recorded key, and a changed key is refused with
 * both fingerprints and the way forward.
 */
export function trustOnFirstUse(knownHostsFile: string, environment: string, onFirstContact?: FirstContact): HostKeyCheck {
  return async (endpoint, blob) => {
    const parsed = ssh2.utils.parseKey(blob);
    if (parsed instanceof Error) return `the host offered a key that cannot be parsed: ${parsed.message}`;
    const offered = { type: parsed.type, key: blob.toString('base64') };
    let known = lookup(knownHostsFile, endpoint.host, endpoint.port);
    if (known.length === 0) {
      const outcome = await remember(knownHostsFile, endpoint.host, endpoint.port, offered);
      if (outcome === 'recorded') {
        onFirstContact?.(endpoint, fingerprint(offered.key));
        return undefined;
      }
      known = [...outcome.known];
    }
    if (known.some((k) => k.type === offered.type && k.key === offered.key)) return undefined;
    const name = hostToken(endpoint.host, endpoint.port);
    const recorded = known.map((k) => `${k.type} ${fingerprint(k.key)}`).join(', ');
    return [
      `HOST KEY CHANGED for ${name}: ${knownHostsFile} records ${recorded}, the host now offers ${offered.type} ${fingerprint(offered.key)}.`,
      'This can mean someone is intercepting the connection. Nothing was done on any host.',
      `If the machine was replaced or re-installed on purpose, remove the old entry with \`herd forget-host ${environment} ${endpoint.name}\` and run again.`,
    ].join('\n');
  };
}
