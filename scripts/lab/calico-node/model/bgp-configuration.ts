import { readField, type BGPConfiguration, type CalicoDatastore } from '../resources.ts';
import { familyOf, type IpFamily } from './addresses.ts';

// The BGPConfiguration resources as confd's client turns them into its global and per-node
// settings: "default" holds the cluster's, "node.<name>" a node's own (listen port, log level,
// prefix advertisements). Defaults are confd's (AS 64512, mesh on, log level info).

export const DEFAULT_AS_NUMBER = '64512';
const DEFAULT_NORMAL_ROUTE_PRIORITY = 1024;

export type LogLevel = 'debug' | 'info' | 'none';

export interface CommunityRule {
  readonly cidr: string;
  /** Sorted, without duplicates: "a:b" standard, "a:b:c" large communities. */
  readonly communities: readonly string[];
}

export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

export interface BgpSettings {
  readonly asNumber: string;
  readonly nodeToNodeMesh: boolean;
  readonly logLevel: (node: string) => LogLevel;
  /** The cluster's BGP listen port; undefined when not set (BIRD's 179). */
  readonly globalListenPort: number | undefined;
  /** The node's own listen port (BGPConfiguration node.<name>). */
  readonly nodeListenPort: (node: string) => number | undefined;
  /** The port the node listens on: its own, else the cluster's. */
  readonly listenPort: (node: string) => number | undefined;
  readonly bindToNodeIp: boolean;
  readonly ignoredInterfaces: readonly string[];
  /** Seconds, as BIRD's `graceful restart time` takes it. */
  readonly meshRestartTime: string | undefined;
  readonly meshPassword: SecretRef | undefined;
  readonly prefixAdvertisements: (node: string, family: IpFamily) => readonly CommunityRule[];
  readonly serviceClusterIPs: readonly string[];
  readonly serviceExternalIPs: readonly string[];
  readonly serviceLoadBalancerIPs: readonly string[];
  /** false when BGPConfiguration.programClusterRoutes is Disabled: Felix programs them. */
  readonly birdProgramsClusterRoutes: boolean;
  readonly normalRoutePriority: number;
}

const UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** Go's time.ParseDuration, in seconds ("10s", "1m30s", "1.5h"). */
export function parseGoDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.replace(/^[+]/, '')) {
    throw new Error(`"${text}" is not a duration (for example 120s, 2m, 1h30m)`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/** A duration as a whole number of seconds, rounded as confd does. */
export function durationSeconds(text: string): string {
  return String(Math.round(parseGoDuration(text)));
}

function logLevelOf(screen: string | undefined): LogLevel | undefined {
  if (!screen) return undefined;
  const level = screen.toLowerCase();
  return level === 'debug' || level === 'info' ? level : 'none';
}

const STANDARD_COMMUNITY = /^\d+:\d+$/;
const LARGE_COMMUNITY = /^\d+:\d+:\d+$/;

function communityRules(config: BGPConfiguration, family: IpFamily): CommunityRule[] {
  const defined = config.spec.communities ?? [];
  const rules: CommunityRule[] = [];
  for (const advertisement of config.spec.prefixAdvertisements ?? []) {
    if (!advertisement.cidr || familyOf(advertisement.cidr) !== family) continue;
    const values = new Set<string>();
    for (const community of advertisement.communities ?? []) {
      if (STANDARD_COMMUNITY.test(community) || LARGE_COMMUNITY.test(community)) values.add(community);
      else {
        const named = defined.find((d) => d.name === community);
        if (named) values.add(named.value);
      }
    }
    const communities = [...values].sort();
    if (communities.length > 0) rules.push({ cidr: advertisement.cidr, communities });
  }
  return rules;
}

function cidrs(blocks: ReadonlyArray<{ cidr?: string | undefined }> | undefined): string[] {
  return (blocks ?? []).map((b) => b.cidr ?? '').filter((c) => c !== '');
}

export function bgpSettings(datastore: CalicoDatastore): BgpSettings {
  const global = datastore.bgpConfigurations.find((c) => c.metadata.name === 'default');
  const spec = global?.spec ?? {};
  const perNode = (node: string): BGPConfiguration | undefined => datastore.bgpConfigurations.find((c) => c.metadata.name === `node.${node}`);
  const ref = spec.nodeMeshPassword?.secretKeyRef;
  return {
    asNumber: spec.asNumber === undefined ? DEFAULT_AS_NUMBER : String(spec.asNumber),
    nodeToNodeMesh: spec.nodeToNodeMeshEnabled ?? true,
    logLevel: (node) => logLevelOf(perNode(node)?.spec.logSeverityScreen) ?? logLevelOf(spec.logSeverityScreen) ?? 'info',
    globalListenPort: spec.listenPort || undefined,
    nodeListenPort: (node) => perNode(node)?.spec.listenPort || undefined,
    listenPort: (node) => perNode(node)?.spec.listenPort || spec.listenPort || undefined,
    bindToNodeIp: spec.bindMode === 'NodeIP',
    ignoredInterfaces: spec.ignoredInterfaces ?? [],
    meshRestartTime:
      spec.nodeMeshMaxRestartTime === undefined ? undefined : readField('BGPConfiguration', 'default', 'spec.nodeMeshMaxRestartTime', () => durationSeconds(spec.nodeMeshMaxRestartTime!)),
    meshPassword: ref ? { name: ref.name, key: ref.key } : undefined,
    prefixAdvertisements: (node, family) => {
      const own = perNode(node);
      if (own?.spec.prefixAdvertisements) return communityRules(own, family);
      return global ? communityRules(global, family) : [];
    },
    serviceClusterIPs: cidrs(spec.serviceClusterIPs),
    serviceExternalIPs: cidrs(spec.serviceExternalIPs),
    serviceLoadBalancerIPs: cidrs(spec.serviceLoadBalancerIPs),
    birdProgramsClusterRoutes: spec.programClusterRoutes !== 'Disabled',
    normalRoutePriority: spec.ipv4NormalRoutePriority ?? DEFAULT_NORMAL_ROUTE_PRIORITY,
  };
}
