import type { EnvironmentSpec } from '../environment/schema.ts';
import type { Environment } from '../environment/load.ts';
import { intToIpv4, ipv4ToInt } from '../environment/net.ts';

export type NodeRole = 'controlPlane' | 'worker';

/** The pool name control plane nodes report; worker pool names may not take it. */
export const CONTROL_PLANE_POOL = 'cp';
/** Addresses reserved for the control plane at the start of the allocation range: room for 5 without moving workers. */
export const CONTROL_PLANE_BLOCK = 5;

export const RACK_LABEL = 'herd.io/rack';
export const POOL_LABEL = 'herd.io/pool';
export const ROUTE_REFLECTOR_LABEL = 'herd.io/route-reflector';

/** Where a node sits, from counts alone: its identity never depends on another pool's size. */
export interface NodeSlot {
  readonly name: string;
  readonly role: NodeRole;
  readonly pool: string;
  /** 1-based index within its pool. */
  readonly index: number;
  /** Position of its pool in workerPools, or -1 for the control plane. */
  readonly poolIndex: number;
  readonly rack: string | undefined;
}

export interface ClusterNode extends NodeSlot {
  readonly address: string;
  readonly asNumber: number;
  readonly routeReflector: boolean;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly dataDiskGiB: number | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { key: string; value?: string | undefined; effect: string }[];
}

export interface Cluster {
  readonly name: string;
  readonly spec: EnvironmentSpec;
  readonly nodes: readonly ClusterNode[];
  readonly controlPlanes: readonly ClusterNode[];
  readonly workers: readonly ClusterNode[];
  readonly apiEndpoint: { readonly host: string; readonly port: number };
}

export function nodeName(env: string, pool: string, index: number): string {
  return `${env}-${pool}-${index}`;
}

export function nodeSlots(env: string, spec: EnvironmentSpec): NodeSlot[] {
  const slots: NodeSlot[] = [];
  for (let i = 1; i <= spec.controlPlane.count; i++) {
    slots.push({ name: nodeName(env, CONTROL_PLANE_POOL, i), role: 'controlPlane', pool: CONTROL_PLANE_POOL, index: i, poolIndex: -1, rack: spec.controlPlane.rack });
  }
  spec.workerPools.forEach((pool, poolIndex) => {
    for (let i = 1; i <= pool.count; i++) {
      slots.push({ name: nodeName(env, pool.name, i), role: 'worker', pool: pool.name, index: i, poolIndex, rack: pool.rack });
    }
  });
  return slots;
}

/**
 * A node's address: pinned, a static host's, or allocated. Allocation gives the
 * control plane the first CONTROL_PLANE_BLOCK addresses and each worker pool its
 * own block of `poolSize`, in list order, so a count change moves nobody else.
 */
export function addressOf(slot: NodeSlot, spec: EnvironmentSpec): string | undefined {
  const pinned = spec.network.addresses[slot.name];
  if (pinned !== undefined) return pinned;
  if (spec.infrastructure.type === 'static') {
    return spec.infrastructure.hosts.find((h) => h.name === slot.name)?.address;
  }
  const allocation = spec.network.allocation;
  if (allocation === undefined) return undefined;
  const offset =
    slot.role === 'controlPlane'
      ? slot.index - 1
      : CONTROL_PLANE_BLOCK + slot.poolIndex * allocation.poolSize + (slot.index - 1);
  const n = ipv4ToInt(allocation.start) + offset;
  return n <= ipv4ToInt(allocation.end) ? intToIpv4(n) : undefined;
}

export function asNumberOf(slot: Pick<NodeSlot, 'rack'>, spec: EnvironmentSpec): number {
  const bgp = spec.calico.bgp;
  return (slot.rack !== undefined ? bgp.rackAsNumbers[slot.rack] : undefined) ?? bgp.asNumber;
}

/** Computes every node of a validated environment. Pure: the same environment gives the same nodes, in the same order. */
export function computeCluster(env: Environment): Cluster {
  const { spec } = env;
  const reflectors = new Set(spec.calico.bgp.routeReflectors?.nodes ?? []);
  const nodes = nodeSlots(env.name, spec).map((slot): ClusterNode => {
    const address = addressOf(slot, spec);
    if (address === undefined) throw new Error(`${env.file}: node ${slot.name} has no address; validate the environment first`);
    const sizing = slot.role === 'controlPlane' ? spec.controlPlane : spec.workerPools[slot.poolIndex]!;
    const poolLabels = slot.role === 'worker' ? spec.workerPools[slot.poolIndex]!.labels : {};
    const routeReflector = reflectors.has(slot.name);
    return {
      ...slot,
      address,
      asNumber: asNumberOf(slot, spec),
      routeReflector,
      cpu: sizing.cpu,
      memoryMiB: sizing.memoryMiB,
      diskGiB: sizing.diskGiB,
      dataDiskGiB: sizing.dataDiskGiB,
      labels: {
        ...poolLabels,
        [POOL_LABEL]: slot.pool,
        ...(slot.rack !== undefined ? { [RACK_LABEL]: slot.rack } : {}),
        ...(routeReflector ? { [ROUTE_REFLECTOR_LABEL]: 'true' } : {}),
      },
      taints: slot.role === 'worker' ? spec.workerPools[slot.poolIndex]!.taints : [],
    };
  });
  const controlPlanes = nodes.filter((n) => n.role === 'controlPlane');
  const endpoint = spec.controlPlane.endpoint;
  return {
    name: env.name,
    spec,
    nodes,
    controlPlanes,
    workers: nodes.filter((n) => n.role === 'worker'),
    apiEndpoint: { host: endpoint.type === 'firstNode' ? controlPlanes[0]!.address : endpoint.address, port: endpoint.port },
  };
}
