import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SCRIPTS } from '../../templates/render.ts';
import { clusterScript } from './artifacts.ts';
import { hostOf, type RunContext } from './context.ts';
import { parseEtcdStatus, type EtcdMember } from './etcd-guard.ts';
import { servesOnDisk } from './membership.ts';
import { StepFailedError, tail, type RemoteHost } from './remote-host.ts';

/** A Node object as the API server has it. */
export interface RegisteredNode {
  /** Changes when the object is deleted and registered again, which drops what herd had set on it. */
  readonly uid: string;
  readonly ready: boolean;
}

/** What verify checks, as one read of the cluster found it. */
export interface ClusterHealth {
  readonly readyz: boolean;
  readonly nodes: ReadonlyMap<string, RegisteredNode>;
  /** Each node's BGP sessions as its calico-node reports them, when the environment has external peers. */
  readonly bgp?: BgpSessions;
}

/**
 * What the cluster itself says about its members, read (read-only) from a
 * control plane that serves: the node files on a host say only what that host
 * once joined, not whether the cluster still has it.
 */
export interface ClusterView {
  /** The control plane it was read from. */
  readonly from: string;
  readonly nodes: ReadonlyMap<string, RegisteredNode>;
  /** etcd's members, or undefined when no etcd pod answered. */
  readonly etcd: readonly EtcdMember[] | undefined;
  /** The same read's health, which verify uses when the run changed nothing after it; undefined when part of it did not answer. */
  readonly health?: ClusterHealth;
}

interface NodeList {
  items: { metadata: { name: string; uid: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

interface NodeStatusList {
  items: {
    spec?: { node?: string };
    status?: { agent?: { birdV4?: { state?: string } }; bgp?: { peersV4?: { peerIP?: string; state?: string }[] } };
  }[];
}

/** BGP sessions by "node→peer address", and the nodes whose BIRD does not answer (they report none). */
export interface BgpSessions {
  readonly states: ReadonlyMap<string, string>;
  readonly birdDown: ReadonlySet<string>;
}

export function parseNodeList(json: string): Map<string, RegisteredNode> {
  const list = JSON.parse(json) as NodeList;
  return new Map(
    list.items.map((n) => [n.metadata.name, { uid: n.metadata.uid, ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false }]),
  );
}

function parseSessions(json: string): BgpSessions {
  const list = JSON.parse(json) as NodeStatusList;
  return {
    states: new Map(list.items.flatMap((s) => (s.status?.bgp?.peersV4 ?? []).map((p) => [`${s.spec?.node}→${p.peerIP}`, p.state ?? 'unknown'] as const))),
    birdDown: new Set(list.items.filter((s) => s.status?.agent?.birdV4?.state === 'NotReady').flatMap((s) => (s.spec?.node === undefined ? [] : [s.spec.node]))),
  };
}

/** A session's state in words: its BGP state, or why there is none. */
export function sessionState(bgp: BgpSessions | undefined, node: string, address: string): string {
  return bgp?.states.get(`${node}→${address}`) ?? (bgp?.birdDown.has(node) === true ? "no session: the node's BIRD is not running" : 'no session reported');
}

const CLUSTER_READ = readFileSync(resolve(import.meta.dirname, 'cluster-read.sh'), 'utf8');

/** One read of cluster-read.sh: the command's exit code and output. */
interface Read {
  readonly code: number;
  readonly output: string;
}

/** The view.<what> lines cluster-read.sh prints, by what. */
export function parseReads(text: string): Map<string, Read> {
  const parts = new Map<string, { code?: number; output?: string }>();
  for (const line of text.split('\n')) {
    const m = /^view\.(\w+)(\.code)?=(.*)$/.exec(line);
    if (m === null) continue;
    const part = parts.get(m[1]!) ?? {};
    if (m[2] === undefined) part.output = Buffer.from(m[3]!, 'base64').toString('utf8');
    else part.code = Number(m[3]);
    parts.set(m[1]!, part);
  }
  const reads = new Map<string, Read>();
  for (const [what, { code, output }] of parts) if (code !== undefined && output !== undefined) reads.set(what, { code, output });
  return reads;
}

const hasBgpPeers = (ctx: RunContext): boolean => ctx.cluster.spec.calico.bgp.peers.length > 0;

/** cluster-read.sh and its arguments: what verify reads, and with `etcdFrom` etcd's members through those etcd pods in turn. */
export function clusterRead(ctx: RunContext, etcdFrom: readonly string[] = []): string[] {
  const etcd = etcdFrom.length === 0 ? [] : [clusterScript(ctx.rendered, SCRIPTS.etcdMembers).content, etcdFrom[0]!, 'status', ...etcdFrom.slice(1)];
  return [CLUSTER_READ, hasBgpPeers(ctx) ? 'bgp' : 'none', ...etcd];
}

/** The health in one read; a read that failed on the node fails like the command it is (verify's step fails). */
function healthOf(ctx: RunContext, host: string, reads: ReadonlyMap<string, Read>): ClusterHealth {
  const must = (what: string): Read => {
    const read = reads.get(what);
    if (read === undefined) throw new StepFailedError(host, 'verify', 1, `cluster-read.sh printed no ${what}`);
    if (read.code !== 0) throw new StepFailedError(host, 'verify', read.code, tail(read.output));
    return read;
  };
  const readyz = reads.get('readyz');
  const nodes = parseNodeList(must('nodes').output);
  return { readyz: readyz?.code === 0, nodes, ...(hasBgpPeers(ctx) ? { bgp: parseSessions(must('bgp').output) } : {}) };
}

/** What verify checks, read now from `host`: the API's /readyz, the Node objects, Calico's BGP sessions (one exchange). */
export async function readHealth(ctx: RunContext, host: RemoteHost): Promise<ClusterHealth> {
  const [script, ...args] = clusterRead(ctx);
  const result = await host.mustRun('verify', ['bash', '-c', script!, 'cluster-read.sh', ...args], { readOnly: true, logAs: `cluster-read.sh ${args.join(' ')}` });
  return healthOf(ctx, host.name, parseReads(result.stdout));
}

function viewOf(ctx: RunContext, from: string, reads: ReadonlyMap<string, Read>): ClusterView {
  const etcd = reads.get('etcd');
  const nodes = parseNodeList(reads.get('nodes')!.output);
  // Before Calico is in place its CalicoNodeStatuses do not exist: that read is for verify alone.
  const bgp = reads.get('bgp');
  const health = !hasBgpPeers(ctx) || bgp?.code === 0 ? healthOf(ctx, from, reads) : undefined;
  return { from, nodes, etcd: etcd?.code === 0 ? parseEtcdStatus(etcd.output) : undefined, ...(health === undefined ? {} : { health }) };
}

/**
 * Reads the cluster's nodes and etcd members, from the first control plane
 * whose files say it serves and that answers; undefined before the cluster
 * exists. `probed` is what the probe of one control plane already read of it
 * (facts.ts reads it in the same exchange): used when that control plane
 * serves and answered. Read-only: the scripts travel as the command's text,
 * so that a plan writes nothing on the node. A cluster that answers nowhere
 * is an error, since deciding what has joined from files alone is what this
 * is here to avoid.
 */
export async function readClusterView(ctx: RunContext, probed?: { readonly from: string; readonly output: string }): Promise<ClusterView | undefined> {
  const candidates = ctx.cluster.controlPlanes.filter((cp) => servesOnDisk(ctx, cp.name)).map((cp) => cp.name);
  if (candidates.length === 0) return undefined;
  const failures: string[] = [];
  for (const from of candidates) {
    let reads: ReadonlyMap<string, Read>;
    if (from === probed?.from) {
      reads = parseReads(probed.output);
    } else {
      // Any etcd pod that answers will do, this control plane's own first.
      const [script, ...args] = clusterRead(ctx, [from, ...candidates.filter((cp) => cp !== from)]);
      const result = await hostOf(ctx, from).rootCommand(['bash', '-c', script!, 'cluster-read.sh', ...args], { readOnly: true, logAs: 'cluster-read.sh (the cluster\'s view)' });
      reads = parseReads(result.stdout);
    }
    const nodes = reads.get('nodes');
    if (nodes?.code === 0) return viewOf(ctx, from, reads);
    failures.push(`${from}: ${tail(nodes?.output ?? '') || `kubectl exited with ${nodes?.code ?? 'no answer'}`}`);
  }
  throw new Error(`the cluster's API does not answer from any control plane that holds its files, so herd cannot tell which nodes it still has:\n  ${failures.join('\n  ')}`);
}
