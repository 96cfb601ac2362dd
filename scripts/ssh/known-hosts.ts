import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { dirname } from 'node:path';

/** One `host keytype key` line of an OpenSSH known_hosts file. */
export interface KnownHostKey {
  readonly type: string;
  /** Base64 of the key blob, as OpenSSH writes it. */
  readonly key: string;
}

/** How OpenSSH names a host in known_hosts: the bare host on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint form, as `ssh-keygen -lf` prints it. */
export function fingerprint(keyBase64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

function matchesHostField(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    // Hashed entry (HashKnownHosts yes): |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const [, , salt, hash] = field.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return field.split(',').includes(name);
}

interface Line {
  readonly text: string;
  readonly hosts?: string;
  readonly entry?: KnownHostKey;
}

function parse(text: string): Line[] {
  return text
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1)
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      // Markers (@cert-authority, @revoked) and comments are kept as they are and never match.
      if (line.trim() === '' || line.trim().startsWith('#') || line.startsWith('@') || fields.length < 3) return { text: line };
      return { text: line, hosts: fields[0]!, entry: { type: fields[1]!, key: fields[2]! } };
    });
}

/** The known_hosts file of one environment: read, append on first contact, drop entries of replaced hosts. */
export class KnownHosts {
  constructor(readonly file: string) {}

  lookup(name: string): KnownHostKey[] {
    if (!existsSync(this.file)) return [];
    return parse(readFileSync(this.file, 'utf8'))
      .filter((l) => l.hosts !== undefined && matchesHostField(l.hosts, name))
      .map((l) => l.entry!);
  }

  add(name: string, key: KnownHostKey): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${name} ${key.type} ${key.key}\n`, { mode: 0o600 });
  }

  /** Removes every entry for `name` (like `ssh-keygen -R`); returns how many were removed. */
  forget(name: string): number {
    if (!existsSync(this.file)) return 0;
    const lines = parse(readFileSync(this.file, 'utf8'));
    const kept = lines.filter((l) => l.hosts === undefined || !matchesHostField(l.hosts, name));
    const removed = lines.length - kept.length;
    if (removed > 0) {
      const tmp = `${this.file}.tmp-${process.pid}`;
      writeFileSync(tmp, kept.map((l) => `${l.text}\n`).join(''), { mode: 0o600 });
      renameSync(tmp, this.file);
    }
    return removed;
  }
}
