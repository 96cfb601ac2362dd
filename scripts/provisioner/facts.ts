import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClusterNode } from '../../stacks/topology/topology.ts';
import type { RemoteHost } from './remote-host.ts';
import { hostOf, type RunContext } from './context.ts';
import { clusterRead } from './cluster-view.ts';

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

/**
 * Reads a host's facts in one exchange: the probe travels as the command's
 * script, so there is no stdin to wait for. `clusterRead` (a control plane's:
 * cluster-read.sh and its arguments) reads the cluster's own view in the
 * same exchange; its lines are in `output` (cluster-view.ts parses them).
 */
export async function probeHost(host: RemoteHost, clusterRead: readonly string[] = []): Promise<{ facts: HostFacts; output: string }> {
  const result = await host.mustRun('gather facts', ['bash', '-c', PROBE, 'probe.sh', host.node.address, ...clusterRead], {
    readOnly: true,
    logAs: `probe.sh ${host.node.address}${clusterRead.length === 0 ? '' : " (and the cluster's view: cluster-read.sh)"}`,
  });
  return { facts: parseFacts(result.stdout, Date.now() / 1000), output: result.stdout };
}

export async function probe(host: RemoteHost): Promise<HostFacts> {
  return (await probeHost(host)).facts;
}

/**
 * The facts of these hosts, one exchange each, in parallel within the run's
 * limit; the first control plane's probe also reads the cluster's own view
 * (etcd through any control plane's etcd pod, its own first). Returns what
 * that read printed, for readClusterView, when the first control plane was
 * among them.
 */
export async function gatherFacts(ctx: RunContext, nodes: readonly ClusterNode[]): Promise<{ from: string; output: string } | undefined> {
  const first = ctx.cluster.controlPlanes[0]!.name;
  const read = clusterRead(ctx, [first, ...ctx.cluster.controlPlanes.map((cp) => cp.name).filter((cp) => cp !== first)]);
  let probed: { from: string; output: string } | undefined;
  await Promise.all(
    nodes.map((n) =>
      ctx.limit(async () => {
        const { facts, output } = await probeHost(hostOf(ctx, n.name), n.name === first ? read : []);
        ctx.facts.set(n.name, facts);
        if (n.name === first) probed = { from: first, output };
      }),
    ),
  );
  return probed;
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
