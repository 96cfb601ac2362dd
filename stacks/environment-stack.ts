import { TerraformStack, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CONTROL_PLANE_POOL, type Cluster } from './topology/topology.ts';
import type { VsphereInfrastructureSpec } from './environment/schema.ts';
import { controlPlaneAntiAffinity } from './environment/anti-affinity.ts';
import { desiredStateHash } from './desired-state.ts';
import { VsphereConnection } from './constructs/vsphere-connection.ts';
import { VspherePlacement } from './constructs/vsphere-placement.ts';
import { VspherePreflight } from './constructs/vsphere-preflight.ts';
import { VmFolderAndTags } from './constructs/vm-folder-and-tags.ts';
import { NodeVm } from './constructs/node-vm.ts';
import { AntiAffinityRule } from './constructs/anti-affinity-rule.ts';
import { NodeRemovalHook } from './constructs/node-removal-hook.ts';
import { ClusterReconcile } from './constructs/cluster-reconcile.ts';
import { TeardownSignal } from './constructs/teardown-signal.ts';
import { ClusterOutputs } from './constructs/outputs.ts';
import { stateBackend } from './constructs/state-backend.ts';

export interface EnvironmentStackProps {
  readonly cluster: Cluster;
}

/** Seconds `herd node remove` may spend on one node, once it is its turn, before it warns and lets Terraform go on. */
export const NODE_REMOVAL_TIMEOUT_SECONDS = 300;

/**
 * The stack of one environment: its machines (vSphere VMs, or nothing for
 * hosts that already exist), a removal hook per node, the provisioner run and
 * the outputs. State lives where the environment's `state` says (local by
 * default, under .herd/<env>/).
 */
export class EnvironmentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    const { cluster } = props;
    stateBackend(this, { environment: cluster.name, state: cluster.spec.state });

    const infra = cluster.spec.infrastructure;
    const machines = infra.type === 'vsphere' ? vsphereMachines(this, cluster, infra) : new Map<string, NodeVm>();
    const machineList = [...machines.values()].map((m) => m.machine);

    const removal = new NodeRemovalHook(this, 'nodeRemoval', {
      environment: cluster.name,
      nodes: cluster.nodes.map((n) => ({ name: n.name, address: n.address, machineId: machines.get(n.name)?.machineId })),
      timeoutSeconds: NODE_REMOVAL_TIMEOUT_SECONDS,
    });
    new ClusterReconcile(this, 'reconcile', {
      environment: cluster.name,
      desiredState: desiredStateHash(cluster),
      machineIds: infra.type === 'vsphere' ? Object.fromEntries([...machines].map(([name, vm]) => [name, vm.machineId])) : undefined,
      dependsOn: [...machineList, removal.resource] satisfies ITerraformDependable[],
    });
    new TeardownSignal(this, 'teardown', { environment: cluster.name, nodeRemoval: removal.resource });
    new ClusterOutputs(this, 'outputs', { cluster });
  }
}

function vsphereMachines(stack: Construct, cluster: Cluster, infra: VsphereInfrastructureSpec): Map<string, NodeVm> {
  new VsphereConnection(stack, 'vsphere', { infrastructure: infra });
  const preflight = new VspherePreflight(stack, 'preflight', { cluster });
  const placement = new VspherePlacement(stack, 'placement', { infrastructure: infra });
  const inventory = new VmFolderAndTags(stack, 'inventory', { cluster, infrastructure: infra, datacenterId: placement.datacenterId });
  const machines = new Map<string, NodeVm>();
  for (const node of cluster.nodes) {
    machines.set(node.name, new NodeVm(stack, node.name, { environment: cluster.name, node, spec: cluster.spec, infrastructure: infra, placement, inventory }));
  }

  const computeClusterId = placement.computeClusterId;
  const group = (pool: string): string[] => cluster.nodes.filter((n) => n.pool === pool).map((n) => machines.get(n.name)!.machineId);
  if (computeClusterId !== undefined) {
    // checks.ts refuses anti-affinity without a compute cluster, so nothing is dropped silently here.
    // A rule over a single VM means nothing (and vSphere refuses it): rules start at two members.
    if (controlPlaneAntiAffinity(cluster.spec) && cluster.controlPlanes.length > 1) {
      new AntiAffinityRule(stack, 'controlPlaneAntiAffinity', { name: `${cluster.name}-${CONTROL_PLANE_POOL}`, computeClusterId, machineIds: group(CONTROL_PLANE_POOL) });
    }
    for (const pool of cluster.spec.workerPools) {
      if (pool.antiAffinity && pool.count > 1) {
        new AntiAffinityRule(stack, `antiAffinity-${pool.name}`, { name: `${cluster.name}-${pool.name}`, computeClusterId, machineIds: group(pool.name) });
      }
    }
  }
  preflight.dependOnPreflight(stack);
  return machines;
}
