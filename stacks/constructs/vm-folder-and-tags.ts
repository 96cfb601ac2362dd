import { Construct } from 'constructs';
import { Folder } from '@cdktf/provider-vsphere/lib/folder/index.js';
import { TagCategory } from '@cdktf/provider-vsphere/lib/tag-category/index.js';
import { Tag } from '@cdktf/provider-vsphere/lib/tag/index.js';
import { CONTROL_PLANE_POOL, type Cluster, type ClusterNode, type NodeRole } from '../topology/topology.ts';
import type { VsphereInfrastructureSpec } from '../environment/schema.ts';

export interface VmFolderAndTagsProps {
  readonly cluster: Cluster;
  readonly infrastructure: VsphereInfrastructureSpec;
  readonly datacenterId: string;
}

/**
 * Where the environment's VMs show up in vCenter and what they say they are:
 * a folder `<folder>/<env>`, and a tag category `<tagCategory>-<env>` holding
 * `environment=<env>`, `role=<role>` and `pool=<pool>` tags. The category is per
 * environment because tag categories are global in vCenter and two stacks
 * cannot both create one.
 */
export class VmFolderAndTags extends Construct {
  readonly folderPath: string;
  private readonly environmentTag: string;
  private readonly roleTags = new Map<NodeRole, string>();
  private readonly poolTags = new Map<string, string>();

  constructor(scope: Construct, id: string, props: VmFolderAndTagsProps) {
    super(scope, id);
    const { cluster, infrastructure: infra } = props;
    const folder = new Folder(this, 'folder', { path: `${infra.folder}/${cluster.name}`, type: 'vm', datacenterId: props.datacenterId });
    folder.overrideLogicalId('environment');
    this.folderPath = folder.path;

    const category = new TagCategory(this, 'category', {
      name: `${infra.tagCategory}-${cluster.name}`,
      description: `herd: what each VM of environment ${cluster.name} is`,
      cardinality: 'MULTIPLE',
      associableTypes: ['VirtualMachine'],
    });
    category.overrideLogicalId('herd');
    const categoryId = category.id;
    /** Returns the tag's id, read once: every attribute read makes a new token. */
    const tag = (name: string, value: string, description: string): string => {
      const t = new Tag(this, `${name}-${value}`, { name: `${name}=${value}`, categoryId, description });
      t.overrideLogicalId(`${name}_${value}`);
      return t.id;
    };
    this.environmentTag = tag('environment', cluster.name, `a VM of environment ${cluster.name}`);
    // Every role and pool gets its tag, also with no node yet, so that scaling up from 0 adds only the node's resources.
    this.roleTags.set('controlPlane', tag('role', 'controlPlane', 'a Kubernetes control plane node'));
    this.roleTags.set('worker', tag('role', 'worker', 'a Kubernetes worker node'));
    for (const pool of [CONTROL_PLANE_POOL, ...cluster.spec.workerPools.map((p) => p.name)]) {
      this.poolTags.set(pool, tag('pool', pool, `a node of pool ${pool}`));
    }
  }

  tagIdsOf(node: ClusterNode): string[] {
    return [this.environmentTag, this.roleTags.get(node.role)!, this.poolTags.get(node.pool)!];
  }
}
