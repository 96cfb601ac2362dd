import { Construct } from 'constructs';
import { Fn, Token, type IResolvable } from '../cdk.ts';
import { DataVsphereDatacenter } from '@cdktf/provider-vsphere/lib/data-vsphere-datacenter/index.js';
import { DataVsphereComputeCluster } from '@cdktf/provider-vsphere/lib/data-vsphere-compute-cluster/index.js';
import { DataVsphereResourcePool } from '@cdktf/provider-vsphere/lib/data-vsphere-resource-pool/index.js';
import { DataVsphereDatastore } from '@cdktf/provider-vsphere/lib/data-vsphere-datastore/index.js';
import { DataVsphereDatastoreCluster } from '@cdktf/provider-vsphere/lib/data-vsphere-datastore-cluster/index.js';
import { DataVsphereNetwork } from '@cdktf/provider-vsphere/lib/data-vsphere-network/index.js';
import { DataVsphereVirtualMachine } from '@cdktf/provider-vsphere/lib/data-vsphere-virtual-machine/index.js';
import type { VsphereInfrastructureSpec } from '../environment/schema.ts';

export interface VspherePlacementProps {
  readonly infrastructure: VsphereInfrastructureSpec;
}

/** Where the template's system disk lives and how it is provisioned; clones copy both. */
export interface TemplateDisk {
  readonly sizeGiB: number;
  readonly thinProvisioned: IResolvable;
  readonly eagerlyScrub: IResolvable;
}

/** What clones take over from the template, so that they boot like it. */
export interface TemplateFacts {
  /** The template's UUID, which the clone names as its source. */
  readonly id: string;
  readonly guestId: string;
  readonly firmware: string;
  readonly scsiType: string;
  readonly adapterType: string;
  readonly disk: TemplateDisk;
}

/** Either a datastore or a datastore cluster (Storage DRS picks the datastore). */
export type Storage = { readonly datastoreId: string } | { readonly datastoreClusterId: string };

/**
 * The existing vSphere inventory a stack builds into, looked up by the names
 * in the environment file: datacenter, compute cluster or resource pool,
 * storage, port group and the template to clone.
 */
export class VspherePlacement extends Construct {
  readonly datacenterId: string;
  /** Set when the environment names a compute cluster: DRS rules need it. */
  readonly computeClusterId: string | undefined;
  readonly resourcePoolId: string;
  readonly storage: Storage;
  readonly networkId: string;
  readonly template: TemplateFacts;

  constructor(scope: Construct, id: string, props: VspherePlacementProps) {
    super(scope, id);
    const infra = props.infrastructure;
    const datacenter = new DataVsphereDatacenter(this, 'datacenter', { name: infra.datacenter });
    datacenter.overrideLogicalId('datacenter');
    const datacenterId = datacenter.id;
    this.datacenterId = datacenterId;

    const cluster =
      infra.computeCluster === undefined ? undefined : new DataVsphereComputeCluster(this, 'computeCluster', { name: infra.computeCluster, datacenterId });
    cluster?.overrideLogicalId('compute_cluster');
    this.computeClusterId = cluster?.id;
    if (infra.resourcePool !== undefined) {
      const pool = new DataVsphereResourcePool(this, 'resourcePool', { name: infra.resourcePool, datacenterId });
      pool.overrideLogicalId('resource_pool');
      this.resourcePoolId = pool.id;
    } else {
      // The schema requires a compute cluster when no resource pool is named: its root pool takes the VMs.
      this.resourcePoolId = cluster!.resourcePoolId;
    }

    if (infra.datastoreCluster !== undefined) {
      const dsc = new DataVsphereDatastoreCluster(this, 'datastoreCluster', { name: infra.datastoreCluster, datacenterId });
      dsc.overrideLogicalId('datastore_cluster');
      this.storage = { datastoreClusterId: dsc.id };
    } else {
      const ds = new DataVsphereDatastore(this, 'datastore', { name: infra.datastore!, datacenterId });
      ds.overrideLogicalId('datastore');
      this.storage = { datastoreId: ds.id };
    }

    const network = new DataVsphereNetwork(this, 'network', { name: infra.network, datacenterId });
    network.overrideLogicalId('network');
    this.networkId = network.id;

    const template = new DataVsphereVirtualMachine(this, 'template', { name: infra.template, datacenterId });
    template.overrideLogicalId('template');
    const disk0 = template.disks.get(0);
    // Read once: every attribute read makes a new token, and a thousand VMs read them all.
    this.template = {
      id: template.id,
      guestId: template.guestId,
      firmware: template.firmware,
      scsiType: template.scsiType,
      adapterType: Token.asString(Fn.element(template.networkInterfaceTypes, 0)),
      disk: { sizeGiB: disk0.size, thinProvisioned: disk0.thinProvisioned, eagerlyScrub: disk0.eagerlyScrub },
    };
  }
}
