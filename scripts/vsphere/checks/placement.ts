import type { VsphereInfrastructureSpec } from '../../../stacks/environment/schema.ts';
import type { Entity, FolderKind, Inventory } from '../inventory.ts';
import type { CheckResult, Finding } from '../findings.ts';

/** The existing objects an environment builds into, resolved from its names. */
export interface Placement {
  /** Where the VMs' CPU and memory come from: the compute cluster, or the resource pool's owner. */
  readonly computeResource: Entity | undefined;
  readonly datastore: Entity | undefined;
  readonly datastoreCluster: Entity | undefined;
  readonly template: Entity | undefined;
  /** `<folder>/<env>`, when an earlier deploy created it. */
  readonly environmentFolder: Entity | undefined;
}

const NETWORK_TYPES = ['Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork'];

/**
 * Every name the environment uses must mean exactly one object of the right
 * kind, as the provider's data sources (and vsphere_folder's parent) will
 * look it up: otherwise Terraform stops half-way, after it has created tags.
 */
export function resolvePlacement(inventory: Inventory, env: string, infra: VsphereInfrastructureSpec): { placement: Placement; result: CheckResult } {
  const problems: Finding[] = [];
  const at = (field: string): PropertyKey[] => ['infrastructure', field];
  const one = (field: keyof VsphereInfrastructureSpec & string, kind: FolderKind, types: readonly string[], what: string): Entity | undefined => {
    const name = infra[field];
    if (typeof name !== 'string') return undefined;
    const found = inventory.find(kind, types, name);
    if (found.length === 1) return found[0];
    problems.push({
      path: at(field),
      message:
        found.length === 0
          ? `no ${what} "${name}" in datacenter ${inventory.datacenter.name}${suggestions(inventory, kind, types)}`
          : `"${name}" names ${found.length} ${what}s in datacenter ${inventory.datacenter.name} (${found.map((e) => inventory.pathOf(e)).join(', ')}); give its path`,
    });
    return undefined;
  };

  const cluster = one('computeCluster', 'host', ['ClusterComputeResource'], 'compute cluster');
  const pool = one('resourcePool', 'host', ['ResourcePool', 'VirtualApp'], 'resource pool');
  const datastore = one('datastore', 'datastore', ['Datastore'], 'datastore');
  const datastoreCluster = one('datastoreCluster', 'datastore', ['StoragePod'], 'datastore cluster');
  one('network', 'network', NETWORK_TYPES, 'port group');
  const template = one('template', 'vm', ['VirtualMachine'], 'template (virtual machine)');

  const parent = inventory.walk(inventory.typeFolders.vm, infra.folder.split('/').filter((s) => s !== ''));
  if (parent === undefined || parent.ref.type !== 'Folder') {
    problems.push({ path: at('folder'), message: `no VM folder ${infra.folder} in datacenter ${inventory.datacenter.name}: herd creates ${infra.folder}/${env} inside it, but not the folder itself; create it, or name an existing one` });
  }
  const environmentFolder = parent === undefined ? undefined : inventory.children(parent.key).find((c) => c.name === env && c.ref.type === 'Folder');

  const owner = pool === undefined ? undefined : inventory.ownerOf(pool);
  if (cluster !== undefined && owner !== undefined && owner.key !== cluster.key) {
    problems.push({ path: at('resourcePool'), message: `resource pool ${infra.resourcePool} belongs to ${owner.name}, not to the compute cluster ${cluster.name}` });
  }
  const computeResource = cluster ?? owner;
  if (computeResource !== undefined && datastore !== undefined) {
    const unmounted = inventory.hostsOf(computeResource).filter((h) => h.usable && !inventory.mountedOn(datastore, h.key));
    if (unmounted.length > 0) {
      problems.push({ path: at('datastore'), message: `datastore ${datastore.name} is not mounted on ${unmounted.map((h) => h.name).join(', ')} of ${computeResource.name}: VMs placed there could not start` });
    }
  }
  return { placement: { computeResource, datastore, datastoreCluster, template, environmentFolder }, result: { problems, warnings: [] } };
}

/** What there is of that kind, so that a typo shows its correction. */
function suggestions(inventory: Inventory, kind: FolderKind, types: readonly string[]): string {
  const names = [...new Set(inventory.ofType(...types).filter((e) => inventory.pathOf(e).startsWith(`${kind}/`)).map((e) => e.name))].sort();
  if (names.length === 0) return '; it has none';
  return `; it has ${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`;
}
