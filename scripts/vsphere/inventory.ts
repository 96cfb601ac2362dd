import { moRefKey, type MoRef, type ObjectContent, type VimClient, type XmlNode } from './vim-client.ts';

// What the preflight knows about one datacenter: every entity below it with
// its name and parent (so names and paths resolve as the vSphere provider's
// finder resolves them), and the few facts each check needs. Read in a fixed
// number of round trips, whatever the size of the datacenter.

export interface Entity {
  readonly ref: MoRef;
  readonly key: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly props: ReadonlyMap<string, XmlNode>;
}

export interface Host {
  readonly key: string;
  readonly name: string;
  /** Connected and not in maintenance mode: it can run VMs. */
  readonly usable: boolean;
  readonly cpuThreads: number;
  readonly memoryMiB: number;
}

export interface Machine {
  readonly key: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly template: boolean;
  readonly guestId: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly poweredOn: boolean;
  readonly host: string | undefined;
  readonly hasSnapshot: boolean;
}

export interface Disk {
  readonly capacityGiB: number;
}

/** Properties read for every object of each type below the datacenter (subtypes included). */
const PROPERTIES: readonly { type: string; paths: string[] }[] = [
  { type: 'ManagedEntity', paths: ['name', 'parent'] },
  { type: 'ComputeResource', paths: ['host', 'resourcePool'] },
  { type: 'ResourcePool', paths: ['owner'] },
  {
    type: 'HostSystem',
    paths: ['runtime.connectionState', 'runtime.inMaintenanceMode', 'summary.hardware.numCpuThreads', 'summary.hardware.memorySize'],
  },
  { type: 'Datastore', paths: ['summary.capacity', 'summary.freeSpace', 'summary.accessible', 'host'] },
  { type: 'StoragePod', paths: ['summary.capacity', 'summary.freeSpace', 'childEntity'] },
  {
    type: 'VirtualMachine',
    paths: ['config.template', 'config.guestId', 'config.hardware.numCPU', 'config.hardware.memoryMB', 'runtime.powerState', 'runtime.host', 'snapshot.currentSnapshot'],
  },
];
const DATACENTER_PROPERTIES = ['name', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'];
/** vCenter's own default page is 100 objects; larger pages save round trips on big datacenters. */
const PAGE = 1000;

export type FolderKind = 'vm' | 'host' | 'datastore' | 'network';

const text = (node: XmlNode | undefined): string | undefined => node?.text;
const num = (node: XmlNode | undefined): number => Number(node?.text ?? 0);
const GIB = 1024 ** 3;

export class Inventory {
  private readonly entities = new Map<string, Entity>();
  private readonly childrenOf = new Map<string, Entity[]>();
  readonly typeFolders: Readonly<Record<FolderKind, string>>;

  constructor(
    readonly datacenter: Entity,
    objects: readonly ObjectContent[],
  ) {
    for (const o of objects) {
      const key = moRefKey(o.ref);
      if (key === datacenter.key) continue;
      const parentNode = o.properties.get('parent');
      const entity: Entity = { ref: o.ref, key, name: decodeName(text(o.properties.get('name')) ?? ''), parent: parentNode === undefined ? undefined : moRefKey(parentNode.moRef), props: o.properties };
      this.entities.set(key, entity);
      if (entity.parent !== undefined) this.childrenOf.set(entity.parent, [...(this.childrenOf.get(entity.parent) ?? []), entity]);
    }
    const folder = (name: string): string => moRefKey(datacenter.props.get(name)!.moRef);
    this.typeFolders = { vm: folder('vmFolder'), host: folder('hostFolder'), datastore: folder('datastoreFolder'), network: folder('networkFolder') };
  }

  get(key: string): Entity | undefined {
    return this.entities.get(key);
  }

  ofType(...types: string[]): Entity[] {
    return [...this.entities.values()].filter((e) => types.includes(e.ref.type));
  }

  children(key: string): Entity[] {
    return this.childrenOf.get(key) ?? [];
  }

  /**
   * The objects a name or path in the environment file means, as the vSphere
   * provider's finder reads it: a path ("a/b", or "/<datacenter>/vm/a/b") is
   * walked from the datacenter's folder of its kind; a plain name matches
   * every object of those types anywhere in that folder's tree.
   */
  find(kind: FolderKind, types: readonly string[], nameOrPath: string): Entity[] {
    const root = this.typeFolders[kind];
    const absolute = `/${this.datacenter.name}/${kind}/`;
    if (nameOrPath.includes('/')) {
      const relative = nameOrPath.startsWith(absolute) ? nameOrPath.slice(absolute.length) : nameOrPath.replace(/^\/+/, '');
      const found = this.walk(root, relative.split('/').filter((s) => s !== ''));
      return found !== undefined && types.includes(found.ref.type) ? [found] : [];
    }
    return this.below(root).filter((e) => e.name === nameOrPath && types.includes(e.ref.type));
  }

  /** The entity at a path of names below `from`, or undefined. */
  walk(from: string, names: readonly string[]): Entity | undefined {
    let at: Entity | undefined = this.entities.get(from) ?? this.datacenter;
    for (const name of names) {
      at = this.children(at.key).find((c) => c.name === name);
      if (at === undefined) return undefined;
    }
    return at;
  }

  /** The inventory path of an entity relative to its datacenter, e.g. vm/kubernetes/dev. */
  pathOf(entity: Entity): string {
    const names: string[] = [];
    for (let at: Entity | undefined = entity; at !== undefined && at.key !== this.datacenter.key; at = at.parent === undefined ? undefined : this.entities.get(at.parent)) {
      names.unshift(at.name);
    }
    return names.join('/');
  }

  private below(key: string): Entity[] {
    const out: Entity[] = [];
    const queue = [...this.children(key)];
    while (queue.length > 0) {
      const e = queue.shift()!;
      out.push(e);
      queue.push(...this.children(e.key));
    }
    return out;
  }

  host(key: string): Host | undefined {
    const e = this.entities.get(key);
    if (e === undefined || e.ref.type !== 'HostSystem') return undefined;
    return {
      key,
      name: e.name,
      usable: text(e.props.get('runtime.connectionState')) === 'connected' && text(e.props.get('runtime.inMaintenanceMode')) !== 'true',
      cpuThreads: num(e.props.get('summary.hardware.numCpuThreads')),
      memoryMiB: num(e.props.get('summary.hardware.memorySize')) / 1024 ** 2,
    };
  }

  /** The hosts of a compute resource (cluster or standalone host). */
  hostsOf(computeResource: Entity): Host[] {
    return (computeResource.props.get('host')?.children ?? []).map((n) => this.host(moRefKey(n.moRef))).filter((h): h is Host => h !== undefined);
  }

  /** The compute resource a resource pool belongs to. */
  ownerOf(pool: Entity): Entity | undefined {
    const owner = pool.props.get('owner');
    return owner === undefined ? undefined : this.entities.get(moRefKey(owner.moRef));
  }

  machines(): Machine[] {
    return this.ofType('VirtualMachine').map((e) => ({
      key: e.key,
      name: e.name,
      parent: e.parent,
      template: text(e.props.get('config.template')) === 'true',
      guestId: text(e.props.get('config.guestId')) ?? '',
      cpu: num(e.props.get('config.hardware.numCPU')),
      memoryMiB: num(e.props.get('config.hardware.memoryMB')),
      poweredOn: text(e.props.get('runtime.powerState')) === 'poweredOn',
      host: e.props.get('runtime.host') === undefined ? undefined : moRefKey(e.props.get('runtime.host')!.moRef),
      hasSnapshot: e.props.get('snapshot.currentSnapshot') !== undefined,
    }));
  }

  /** Capacity and free space in GiB, of a datastore or a datastore cluster. */
  storage(e: Entity): { capacityGiB: number; freeGiB: number } {
    return { capacityGiB: num(e.props.get('summary.capacity')) / GIB, freeGiB: num(e.props.get('summary.freeSpace')) / GIB };
  }

  /** Whether a datastore is mounted and accessible on a host. */
  mountedOn(datastore: Entity, host: string): boolean {
    return (datastore.props.get('host')?.children ?? []).some((mount) => {
      const key = mount.child('key');
      const info = mount.child('mountInfo');
      return key !== undefined && moRefKey(key.moRef) === host && text(info?.child('accessible')) !== 'false' && text(info?.child('mounted')) !== 'false';
    });
  }
}

/** vCenter escapes "%", "/" and "\" in entity names (%25, %2f, %5c); a path is split on the real slashes. */
function decodeName(name: string): string {
  return name.replace(/%(25|2f|5c)/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Three round trips: the datacenter by its path, a view of everything below it, and the view's properties. */
export async function readInventory(client: VimClient, datacenterPath: string): Promise<Inventory | undefined> {
  const dc = await client.findByInventoryPath(datacenterPath);
  if (dc === undefined || dc.type !== 'Datacenter') return undefined;
  const view = await client.createContainerView(dc, [], true);
  const objects = await client.retrieveProperties({
    objects: [{ view }, { obj: dc }],
    properties: [{ type: 'Datacenter', paths: DATACENTER_PROPERTIES }, ...PROPERTIES],
    maxObjects: PAGE,
  });
  const own = objects.find((o) => moRefKey(o.ref) === moRefKey(dc));
  if (own === undefined) throw new Error(`vCenter returned no properties of datacenter ${datacenterPath}`);
  return new Inventory({ ref: dc, key: moRefKey(dc), name: decodeName(text(own.properties.get('name')) ?? datacenterPath), parent: undefined, props: own.properties }, objects);
}

/** One round trip: the virtual disks of the given VMs (the template, the environment's VMs that exist), by VM key. */
export async function readDisks(client: VimClient, machines: readonly Entity[]): Promise<Map<string, Disk[]>> {
  if (machines.length === 0) return new Map();
  const objects = await client.retrieveProperties({
    objects: machines.map((m) => ({ obj: m.ref })),
    properties: [{ type: 'VirtualMachine', paths: ['config.hardware.device'] }],
    maxObjects: PAGE,
  });
  return new Map(
    objects.map((o) => {
      const devices = o.properties.get('config.hardware.device')?.children ?? [];
      const disks = devices
        .filter((d) => d.xsiType === 'VirtualDisk')
        .sort((a, b) => num(a.child('controllerKey')) - num(b.child('controllerKey')) || num(a.child('unitNumber')) - num(b.child('unitNumber')))
        .map((d) => ({ capacityGiB: d.child('capacityInBytes') !== undefined ? num(d.child('capacityInBytes')) / GIB : num(d.child('capacityInKB')) / 1024 ** 2 }));
      return [moRefKey(o.ref), disks];
    }),
  );
}
