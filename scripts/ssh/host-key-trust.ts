import ssh2 from 'ssh2';
import { KnownHosts, fingerprint, knownHostsName } from './known-hosts.ts';
import type { HostKeyCheck, SshEndpoint } from './session.ts';

/** Called when a host is seen for the first time and its key recorded. */
export type FirstContact = (endpoint: SshEndpoint, keyFingerprint: string) => void;

/**
 * OpenSSH's StrictHostKeyChecking=accept-new: a host never seen is recorded,
 * a known host must offer the recorded key, and a changed key is refused with
 * both fingerprints and the way forward.
 */
export function trustOnFirstUse(knownHosts: KnownHosts, onFirstContact?: FirstContact): HostKeyCheck {
  return (endpoint, blob) => {
    const parsed = ssh2.utils.parseKey(blob);
    if (parsed instanceof Error) return `the host offered a key that cannot be parsed: ${parsed.message}`;
    const offered = { type: parsed.type, key: blob.toString('base64') };
    const name = knownHostsName(endpoint.host, endpoint.port);
    const known = knownHosts.lookup(name);
    if (known.length === 0) {
      knownHosts.add(name, offered);
      onFirstContact?.(endpoint, fingerprint(offered.key));
      return undefined;
    }
    if (known.some((k) => k.type === offered.type && k.key === offered.key)) return undefined;
    const recorded = known.map((k) => `${k.type} ${fingerprint(k.key)}`).join(', ');
    return [
      `HOST KEY CHANGED for ${name}: ${knownHosts.file} records ${recorded}, the host now offers ${offered.type} ${fingerprint(offered.key)}.`,
      'This can mean someone is intercepting the connection. Nothing was done on any host.',
      `If the machine was replaced or re-installed on purpose, remove the old entry with \`herd forget-host ${endpoint.name}\` (or \`ssh-keygen -R '${name}' -f ${knownHosts.file}\`) and run again.`,
    ].join('\n');
  };
}
