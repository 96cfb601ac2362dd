// CalicoNodeStatus.status from BIRD's own state, as calico-node's status reporter builds it
// (node/pkg/status/populators: bird.go for `show protocols` / `show protocols all <peer>`,
// bird_status.go for `show status`). Only BGP protocols named Global_, Node_ or Mesh_ are
// peers; "Established" counts come from the protocol state column (up), the session state
// from the "BGP state:" line. Without BIRD (no control socket) the BGP status is empty and the
// agent NotReady, as calico-node reports it.
//
// Input is what `birdc show protocols all` (or `birdc show protocols`) prints; the raw control
// socket's numbered lines are accepted too. The lab runs BIRD for IPv4 only (no bird6), so the
// IPv6 fields are always empty.

export type BgpSessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Close';
export type BgpPeerType = 'NodeMesh' | 'NodePeer' | 'GlobalPeer';

export interface CalicoNodePeer {
  readonly peerIP: string;
  readonly type: BgpPeerType;
  /** Absent when BIRD reports a state the API has no name for. */
  readonly state?: BgpSessionState;
  readonly since: string;
}

export interface BgpDaemonStatus {
  readonly state: 'Ready' | 'NotReady';
  readonly version?: string;
  readonly routerID?: string;
  readonly lastBootTime?: string;
  readonly lastReconfigurationTime?: string;
}

/** The CalicoNodeStatus status fields calico-node writes for the Agent and BGP classes (IPv4). */
export interface CalicoNodeStatusStatus {
  readonly lastUpdated: string;
  readonly agent: { readonly birdV4: BgpDaemonStatus };
  readonly bgp: {
    readonly numberEstablishedV4: number;
    readonly numberNotEstablishedV4: number;
    readonly numberEstablishedV6: number;
    readonly numberNotEstablishedV6: number;
    readonly peersV4: readonly CalicoNodePeer[];
    readonly peersV6: readonly CalicoNodePeer[];
  };
}

export interface BirdObservation {
  /** `birdc show protocols all` output; undefined when BIRD's control socket did not answer. */
  readonly showProtocols: string | undefined;
  /** `birdc show status` output, when it was read. */
  readonly showStatus?: string | undefined;
  /** When BIRD was asked; default now. */
  readonly at?: Date;
}

const STATES: ReadonlySet<string> = new Set(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Close']);
const TYPES: Readonly<Record<string, BgpPeerType>> = { Global: 'GlobalPeer', Mesh: 'NodeMesh', Node: 'NodePeer' };
const PEER_NAME = /^(Global|Node|Mesh)_(.+)$/;
const HEADINGS = ['name', 'proto', 'table', 'state', 'since', 'info'];

/** birdc's lines, without the control socket's reply codes. */
function replyLines(text: string): string[] {
  return text.split('\n').map((line) => (/^\d{4}[- ]/.test(line) ? line.slice(5) : line));
}

interface ProtocolBlock {
  readonly columns: readonly string[];
  readonly details: string[];
}

function protocolBlocks(text: string): ProtocolBlock[] {
  const blocks: ProtocolBlock[] = [];
  for (const line of replyLines(text)) {
    if (line.trim() === '') continue;
    const columns = line.trim().split(/\s+/);
    const isRow = !/^\s{2}/.test(line) && columns.length >= 5 && /^[A-Za-z][A-Za-z0-9]*$/.test(columns[1] ?? '');
    if (isRow) {
      if (columns.slice(0, 6).map((c) => c.toLowerCase()).join(' ') === HEADINGS.join(' ')) continue;
      blocks.push({ columns, details: [] });
    } else {
      blocks.at(-1)?.details.push(line.trim());
    }
  }
  return blocks;
}

function detail(block: ProtocolBlock, key: string): string | undefined {
  const line = block.details.find((d) => d.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

/** "10_192_0_3_port_179" → 10.192.0.3: the peer's address when no "Neighbor address" was read. */
function peerIpFromName(name: string): string {
  return name.replace(/_port_\d+$/, '').replace(/_/g, '.');
}

interface Peer {
  readonly up: boolean;
  readonly peer: CalicoNodePeer;
}

function peersOf(text: string): Peer[] {
  return protocolBlocks(text).flatMap((block) => {
    const [name = '', proto, , state = '', since = '', info = ''] = block.columns;
    if (proto !== 'BGP') return [];
    const match = PEER_NAME.exec(name);
    if (!match) return [];
    const bgpState = detail(block, 'BGP state') ?? info;
    return [
      {
        up: state === 'up',
        peer: {
          peerIP: detail(block, 'Neighbor address') ?? peerIpFromName(match[2]!),
          type: TYPES[match[1]!]!,
          ...(STATES.has(bgpState) ? { state: bgpState as BgpSessionState } : {}),
          since,
        },
      },
    ];
  });
}

function agentOf(showStatus: string | undefined, reachable: boolean): BgpDaemonStatus {
  if (!reachable || showStatus === undefined) return { state: reachable ? 'Ready' : 'NotReady' };
  let ready = false;
  const fields: { -readonly [K in keyof BgpDaemonStatus]?: BgpDaemonStatus[K] } = {};
  for (const raw of replyLines(showStatus)) {
    const line = raw.trim();
    if (line.includes('BIRD') && line.includes('ready')) ready = true;
    else if (/^BIRD v?\d/.test(line)) fields.version = line.slice('BIRD '.length);
    else if (line.startsWith('Router ID is ')) fields.routerID = line.slice('Router ID is '.length);
    else if (line.startsWith('Last reboot on ')) fields.lastBootTime = line.slice('Last reboot on '.length);
    else if (line.startsWith('Last reconfiguration on ')) fields.lastReconfigurationTime = line.slice('Last reconfiguration on '.length);
  }
  return { ...fields, state: ready ? 'Ready' : 'NotReady' };
}

export function calicoNodeStatusFromBird(observation: BirdObservation): CalicoNodeStatusStatus {
  const lastUpdated = (observation.at ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const reachable = observation.showProtocols !== undefined;
  const v4 = reachable ? peersOf(observation.showProtocols!) : [];
  return {
    lastUpdated,
    agent: { birdV4: agentOf(observation.showStatus, reachable) },
    bgp: {
      numberEstablishedV4: v4.filter((p) => p.up).length,
      numberNotEstablishedV4: v4.filter((p) => !p.up).length,
      numberEstablishedV6: 0,
      numberNotEstablishedV6: 0,
      peersV4: v4.map((p) => p.peer),
      peersV6: [],
    },
  };
}
