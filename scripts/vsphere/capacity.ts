import type { Cluster, ClusterNode } from '../../stacks/topology/topology.ts';
import type { Host, Machine } from './inventory.ts';

// Capacity planning, the arithmetic alone: what the environment's VMs need,
// what of it already runs (the environment's VMs that exist are counted
// once), what the change adds, and what the compute cluster and the
// datastores have free, with room to lose the largest ESXi host (N+1).

export interface ResourceLine {
  readonly resource: 'vCPU' | 'memory' | 'disk';
  readonly unit: string;
  /** Every VM of the environment as the file describes it. */
  readonly needed: number;
  /** What the environment's VMs that exist hold now. */
  readonly exists: number;
  /** needed − exists: negative when the change shrinks the environment. */
  readonly adds: number;
  /** Free with every usable host (or the datastore's free space). */
  readonly free: number;
  /** Free without the largest usable host; the same as free for storage, which no host failure takes away. */
  readonly freeWithSpare: number;
  /** The pool whose change adds the most of this resource, as a YAML path (controlPlane.count, workerPools[1].count). */
  readonly largestSource: readonly PropertyKey[];
}

export interface Capacity {
  readonly lines: readonly ResourceLine[];
  readonly usableHosts: readonly Host[];
  /** The host N+1 plans without (the one with the most memory). */
  readonly spare: Host | undefined;
}

export interface CapacityInput {
  readonly cluster: Cluster;
  /** The hosts of the compute cluster (or the resource pool's owner). */
  readonly hosts: readonly Host[];
  /** Every VM in the datacenter: those running on the cluster's usable hosts hold its CPU and memory. */
  readonly machines: readonly Machine[];
  /** The environment's VMs that exist, each with the sum of its disks in GiB. */
  readonly existing: readonly { readonly machine: Machine; readonly diskGiB: number }[];
  /** System disk of a new VM: the template's for linked clones (they can grow to it), the pool's diskGiB for full clones. */
  readonly systemDiskGiB: (node: ClusterNode) => number;
  readonly storageFreeGiB: number;
}

const MIB_PER_GIB = 1024;

/**
 * A powered-on VM also takes a swap file of its memory on its datastore
 * (herd reserves no memory), so disk counts memory too.
 */
export function planCapacity(input: CapacityInput): Capacity {
  const usable = input.hosts.filter((h) => h.usable);
  const usableKeys = new Set(usable.map((h) => h.key));
  const running = input.machines.filter((m) => m.poweredOn && !m.template && m.host !== undefined && usableKeys.has(m.host));
  const spare = [...usable].sort((a, b) => b.memoryMiB - a.memoryMiB || b.cpuThreads - a.cpuThreads)[0];
  const runningKeys = new Set(running.map((m) => m.key));
  const existingRunning = input.existing.filter((e) => runningKeys.has(e.machine.key));
  const nodes = input.cluster.nodes;

  const sum = <T>(items: readonly T[], f: (item: T) => number): number => items.reduce((total, item) => total + f(item), 0);
  const byName = new Map(existingRunning.map((e) => [e.machine.name, e]));
  const diskOf = (node: ClusterNode): number => input.systemDiskGiB(node) + (node.dataDiskGiB ?? 0) + node.memoryMiB / MIB_PER_GIB;
  const demand: Record<ResourceLine['resource'], (n: ClusterNode) => number> = {
    vCPU: (n) => n.cpu - (byName.get(n.name)?.machine.cpu ?? 0),
    memory: (n) => n.memoryMiB - (byName.get(n.name)?.machine.memoryMiB ?? 0),
    disk: (n) => diskOf(n) - (byName.has(n.name) ? byName.get(n.name)!.diskGiB + byName.get(n.name)!.machine.memoryMiB / MIB_PER_GIB : 0),
  };
  const largestSource = (resource: ResourceLine['resource']): PropertyKey[] => {
    const byPool = new Map<number, number>();
    for (const n of nodes) byPool.set(n.poolIndex, (byPool.get(n.poolIndex) ?? 0) + demand[resource](n));
    const [poolIndex] = [...byPool].sort((a, b) => b[1] - a[1])[0] ?? [-1];
    return poolIndex === -1 ? ['controlPlane', 'count'] : ['workerPools', poolIndex, 'count'];
  };
  const line = (resource: ResourceLine['resource'], unit: string, needed: number, exists: number, free: number, freeWithSpare: number): ResourceLine => ({
    resource,
    unit,
    needed,
    exists,
    adds: needed - exists,
    free,
    freeWithSpare,
    largestSource: largestSource(resource),
  });

  const threads = sum(usable, (h) => h.cpuThreads);
  const allocatedCpu = sum(running, (m) => m.cpu);
  const memory = sum(usable, (h) => h.memoryMiB);
  const allocatedMemory = sum(running, (m) => m.memoryMiB);
  const largestThreads = Math.max(0, ...usable.map((h) => h.cpuThreads));
  const largestMemory = Math.max(0, ...usable.map((h) => h.memoryMiB));

  return {
    usableHosts: usable,
    spare,
    lines: [
      line('vCPU', 'vCPU', sum(nodes, (n) => n.cpu), sum(existingRunning, (e) => e.machine.cpu), threads - allocatedCpu, threads - largestThreads - allocatedCpu),
      line(
        'memory',
        'GiB',
        sum(nodes, (n) => n.memoryMiB) / MIB_PER_GIB,
        sum(existingRunning, (e) => e.machine.memoryMiB) / MIB_PER_GIB,
        (memory - allocatedMemory) / MIB_PER_GIB,
        (memory - largestMemory - allocatedMemory) / MIB_PER_GIB,
      ),
      line('disk', 'GiB', sum(nodes, diskOf), sum(input.existing, (e) => e.diskGiB + e.machine.memoryMiB / MIB_PER_GIB), input.storageFreeGiB, input.storageFreeGiB),
    ],
  };
}
