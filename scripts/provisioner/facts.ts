import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RemoteHost } from './remote-host.ts';

/** What a node already has, read by probe.sh before anything is planned. */
export interface HostFacts {
  readonly os: { readonly id: string; readonly version: string };
  readonly hostname: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  /** Seconds the node's clock is ahead of ours (negative: behind). */
  readonly clockSkewSeconds: number;
  readonly addressIsLocal: boolean;
  readonly files: ReadonlySet<string>;
  readonly packages: ReadonlyMap<string, string>;
  /** Step name → hash of the desired state it last succeeded with. */
  readonly applied: ReadonlyMap<string, string>;
  /** The login user's home, where files are staged before they are installed. */
  readonly home: string;
  /** Free MiB on the file system of each path the steps write to (/var/lib, /etc, /run, the home). */
  readonly freeMiB: ReadonlyMap<string, number>;
}

const PROBE = readFileSync(resolve(import.meta.dirname, 'probe.sh'), 'utf8');

export async function probe(host: RemoteHost): Promise<HostFacts> {
  const result = await host.mustRun('gather facts', ['bash', '-s', '--', host.node.address], { stdin: PROBE, readOnly: true });
  return parseFacts(result.stdout, Date.now() / 1000);
}

export function parseFacts(text: string, nowEpoch: number): HostFacts {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const prefixed = (prefix: string): Map<string, string> =>
    new Map([...values].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return {
    os: { id: values.get('os.id') ?? 'unknown', version: values.get('os.version') ?? 'unknown' },
    hostname: values.get('hostname') ?? '',
    cpus: Number(values.get('cpus') ?? 0),
    memoryMiB: Math.floor(Number(values.get('memory.kib') ?? 0) / 1024),
    clockSkewSeconds: Number(values.get('clock.epoch') ?? nowEpoch) - nowEpoch,
    addressIsLocal: values.get('address.local') === 'yes',
    files: new Set(prefixed('file:').keys()),
    packages: prefixed('package:'),
    applied: prefixed('applied:'),
    home: values.get('home') ?? '/',
    freeMiB: new Map([...prefixed('space:')].map(([path, kib]) => [path, Math.floor(Number(kib) / 1024)])),
  };
}
