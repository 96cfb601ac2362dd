import { z } from 'zod';

// The inputs calico-node's confd reads, as the cluster stores them: Calico's projectcalico.org/v3
// resources (or their crd.projectcalico.org/v1 storage form, which has the same spec), Kubernetes
// Nodes in KDD form (BGP settings in projectcalico.org/* annotations), IPAM block affinities,
// and the Services and endpoints that service advertisement looks at. Only the fields confd uses
// are kept; a field of the wrong type is an error that names the object and the field.

const selector = z.string();
const name = z.string().min(1);
const labels = z.record(z.string(), z.string());

const metadata = z.object({
  name,
  namespace: z.string().optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const cidrBlock = z.object({ cidr: z.string().optional() });
const secretKeyRef = z.object({ name, key: name, optional: z.boolean().optional() });
const password = z.object({ secretKeyRef: secretKeyRef.optional() });

export const bgpConfigurationSchema = z.object({
  kind: z.literal('BGPConfiguration'),
  metadata,
  spec: z
    .object({
      asNumber: z.number().int().optional(),
      nodeToNodeMeshEnabled: z.boolean().optional(),
      logSeverityScreen: z.string().optional(),
      listenPort: z.number().int().optional(),
      bindMode: z.enum(['None', 'NodeIP']).optional(),
      ignoredInterfaces: z.array(z.string()).optional(),
      nodeMeshMaxRestartTime: z.string().optional(),
      nodeMeshPassword: password.optional(),
      communities: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      prefixAdvertisements: z.array(z.object({ cidr: z.string().optional(), communities: z.array(z.string()).optional() })).optional(),
      serviceClusterIPs: z.array(cidrBlock).optional(),
      serviceExternalIPs: z.array(cidrBlock).optional(),
      serviceLoadBalancerIPs: z.array(cidrBlock).optional(),
      programClusterRoutes: z.enum(['Enabled', 'Disabled']).optional(),
      ipv4NormalRoutePriority: z.number().int().optional(),
    })
    .nullish()
    .transform((spec) => spec ?? {}),
});
export type BGPConfiguration = z.infer<typeof bgpConfigurationSchema>;

export const bgpPeerSchema = z.object({
  kind: z.literal('BGPPeer'),
  metadata,
  spec: z.object({
    node: z.string().optional(),
    nodeSelector: selector.optional(),
    peerSelector: selector.optional(),
    localWorkloadSelector: selector.optional(),
    peerIP: z.string().optional(),
    asNumber: z.number().int().optional(),
    localASNumber: z.number().int().optional(),
    password: password.optional(),
    sourceAddress: z.enum(['UseNodeIP', 'None']).optional(),
    maxRestartTime: z.string().optional(),
    keepaliveTime: z.string().optional(),
    keepOriginalNextHop: z.boolean().optional(),
    nextHopMode: z.enum(['Auto', 'Self', 'Keep']).optional(),
    numAllowedLocalASNumbers: z.number().int().optional(),
    ttlSecurity: z.number().int().optional(),
    reachableBy: z.string().optional(),
    reversePeering: z.enum(['Auto', 'Manual']).optional(),
    filters: z.array(z.string()).optional(),
  }),
});
export type BGPPeer = z.infer<typeof bgpPeerSchema>;

const filterRule = z.object({
  action: z.enum(['Accept', 'Reject']),
  matchOperator: z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
  cidr: z.string().optional(),
  prefixLength: z.object({ min: z.number().int().optional(), max: z.number().int().optional() }).optional(),
  source: z.enum(['RemotePeers']).optional(),
  interface: z.string().optional(),
  peerType: z.enum(['eBGP', 'iBGP']).optional(),
  communities: z.object({ values: z.array(z.string()) }).optional(),
  asPathPrefix: z.array(z.number().int()).optional(),
  priority: z.number().int().optional(),
  operations: z
    .array(
      z.object({
        addCommunity: z.object({ value: z.string() }).optional(),
        prependASPath: z.object({ prefix: z.array(z.number().int()) }).optional(),
        setPriority: z.object({ value: z.number().int() }).optional(),
      }),
    )
    .optional(),
});
export type BGPFilterRule = z.infer<typeof filterRule>;

export const bgpFilterSchema = z.object({
  kind: z.literal('BGPFilter'),
  metadata,
  spec: z.object({
    importV4: z.array(filterRule).optional(),
    exportV4: z.array(filterRule).optional(),
    importV6: z.array(filterRule).optional(),
    exportV6: z.array(filterRule).optional(),
  }),
});
export type BGPFilter = z.infer<typeof bgpFilterSchema>;

const encapMode = z.enum(['Never', 'Always', 'CrossSubnet']);
export const ipPoolSchema = z.object({
  kind: z.literal('IPPool'),
  metadata,
  spec: z.object({
    cidr: z.string(),
    ipipMode: encapMode.optional(),
    vxlanMode: encapMode.optional(),
    disableBGPExport: z.boolean().optional(),
    blockSize: z.number().int().optional(),
  }),
});
export type IPPool = z.infer<typeof ipPoolSchema>;

/** A Calico Node as calicoctl takes it (etcd datastore, or the overlay calicoctl writes onto a KDD Node). */
export const calicoNodeSchema = z.object({
  kind: z.literal('Node'),
  metadata,
  spec: z
    .object({
      bgp: z
        .object({
          ipv4Address: z.string().optional(),
          ipv6Address: z.string().optional(),
          asNumber: z.number().int().optional(),
          routeReflectorClusterID: z.string().optional(),
        })
        .nullish(),
    })
    .nullish(),
});
export type CalicoNode = z.infer<typeof calicoNodeSchema>;

/** A Kubernetes Node (KDD): Calico keeps its BGP settings in the node's annotations. */
export const kubernetesNodeSchema = z.object({ kind: z.literal('Node'), metadata });
export type KubernetesNode = z.infer<typeof kubernetesNodeSchema>;

export const blockAffinitySchema = z.object({
  kind: z.literal('BlockAffinity'),
  metadata,
  spec: z.object({
    node: z.string(),
    cidr: z.string(),
    state: z.string().optional(),
    // crd.projectcalico.org/v1 stores it as the string "true"/"", projectcalico.org/v3 as a boolean.
    deleted: z.union([z.boolean(), z.string()]).optional(),
  }),
});
export type BlockAffinity = z.infer<typeof blockAffinitySchema>;

export const serviceSchema = z.object({
  kind: z.literal('Service'),
  metadata,
  spec: z.object({
    type: z.string().optional(),
    clusterIP: z.string().optional(),
    externalIPs: z.array(z.string()).optional(),
    loadBalancerIP: z.string().optional(),
    externalTrafficPolicy: z.string().optional(),
  }),
  status: z
    .object({ loadBalancer: z.object({ ingress: z.array(z.object({ ip: z.string().optional() })).optional() }).optional() })
    .optional(),
});
export type Service = z.infer<typeof serviceSchema>;

export const endpointSliceSchema = z.object({
  kind: z.literal('EndpointSlice'),
  metadata,
  addressType: z.string().optional(),
  endpoints: z
    .array(
      z.object({
        addresses: z.array(z.string()),
        nodeName: z.string().optional(),
        conditions: z.object({ ready: z.boolean().optional() }).optional(),
      }),
    )
    .nullish(),
});
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;

export const endpointsSchema = z.object({
  kind: z.literal('Endpoints'),
  metadata,
  subsets: z.array(z.object({ addresses: z.array(z.object({ ip: z.string(), nodeName: z.string().optional() })).optional() })).optional(),
});
export type Endpoints = z.infer<typeof endpointsSchema>;

/**
 * What Felix writes for a local workload that peers with its host (the endpoint-status file
 * confd reads): its addresses and the BGPPeer whose localWorkloadSelector matched it.
 */
export interface LocalWorkloadPeering {
  readonly node: string;
  readonly bgpPeerName: string;
  readonly ipv4Nets: readonly string[];
  readonly ipv6Nets: readonly string[];
}

/** Everything one calico-node reads from the datastore. */
export interface CalicoDatastore {
  readonly bgpConfigurations: readonly BGPConfiguration[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bgpFilters: readonly BGPFilter[];
  readonly ipPools: readonly IPPool[];
  /** Calico Nodes as calicoctl takes them (projectcalico.org/v3 or libcalico's internal form). */
  readonly calicoNodes: readonly CalicoNode[];
  /** Kubernetes Nodes; in KDD mode the BGP settings are their annotations. */
  readonly kubernetesNodes: readonly KubernetesNode[];
  readonly blockAffinities: readonly BlockAffinity[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly endpoints: readonly Endpoints[];
  readonly localWorkloads: readonly LocalWorkloadPeering[];
}

export const emptyDatastore: CalicoDatastore = {
  bgpConfigurations: [],
  bgpPeers: [],
  bgpFilters: [],
  ipPools: [],
  calicoNodes: [],
  kubernetesNodes: [],
  blockAffinities: [],
  services: [],
  endpointSlices: [],
  endpoints: [],
  localWorkloads: [],
};

const CALICO_GROUPS = new Set(['projectcalico.org/v3', 'crd.projectcalico.org/v1']);

type Collection = Exclude<keyof CalicoDatastore, 'localWorkloads'>;

interface Kind {
  readonly collection: Collection;
  readonly schema: z.ZodType;
}

function kindOf(apiVersion: string, kind: string): Kind | undefined {
  if (CALICO_GROUPS.has(apiVersion)) {
    switch (kind) {
      case 'BGPConfiguration':
        return { collection: 'bgpConfigurations', schema: bgpConfigurationSchema };
      case 'BGPPeer':
        return { collection: 'bgpPeers', schema: bgpPeerSchema };
      case 'BGPFilter':
        return { collection: 'bgpFilters', schema: bgpFilterSchema };
      case 'IPPool':
        return { collection: 'ipPools', schema: ipPoolSchema };
      case 'Node':
        return { collection: 'calicoNodes', schema: calicoNodeSchema };
      case 'BlockAffinity':
        return { collection: 'blockAffinities', schema: blockAffinitySchema };
      default:
        return undefined;
    }
  }
  if (apiVersion === 'v1' && kind === 'Node') return { collection: 'kubernetesNodes', schema: kubernetesNodeSchema };
  if (apiVersion === 'v1' && kind === 'Service') return { collection: 'services', schema: serviceSchema };
  if (apiVersion === 'v1' && kind === 'Endpoints') return { collection: 'endpoints', schema: endpointsSchema };
  if (apiVersion === 'discovery.k8s.io/v1' && kind === 'EndpointSlice') return { collection: 'endpointSlices', schema: endpointSliceSchema };
  return undefined;
}

export class ResourceError extends Error {
  override readonly name = 'ResourceError';
}

/** Runs `read` on one field of a resource; a failure names the resource and the field. */
export function readField<T>(kind: string, objectName: string, field: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new ResourceError(`${kind} ${objectName}: ${field}: ${(err as Error).message}`);
  }
}

function describe(object: Record<string, unknown>, where: string): string {
  const meta = object['metadata'];
  const objectName = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['name'] : undefined;
  return `${where}${String(object['kind'] ?? '?')} ${typeof objectName === 'string' ? objectName : '(no name)'}`;
}

/**
 * Sorts Kubernetes-shaped objects into a datastore, the way `calicoctl apply` / `kubectl apply`
 * would store them: a later object of the same kind and name replaces an earlier one. Objects of
 * kinds confd does not read (Secrets, CalicoNodeStatus, ...) are ignored. `where` prefixes error
 * messages (a file name, for instance).
 */
export function datastoreFromObjects(objects: readonly unknown[], options: { base?: CalicoDatastore; where?: string } = {}): CalicoDatastore {
  const result = Object.fromEntries(Object.entries(options.base ?? emptyDatastore).map(([k, v]) => [k, [...(v as unknown[])]])) as {
    -readonly [K in keyof CalicoDatastore]: Array<CalicoDatastore[K][number]>;
  };
  const where = options.where ? `${options.where}: ` : '';
  objects.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ResourceError(`${where}document ${index + 1} is not an object (a Kubernetes resource has apiVersion, kind, metadata)`);
    }
    const object = raw as Record<string, unknown>;
    const kind = kindOf(String(object['apiVersion'] ?? ''), String(object['kind'] ?? ''));
    if (!kind) return;
    const parsed = kind.schema.safeParse(object);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      throw new ResourceError(`${describe(object, where)}: ${path || '(object)'}: ${issue?.message ?? 'invalid'}`);
    }
    const value = parsed.data as { metadata: { name: string } };
    const list = result[kind.collection] as Array<{ metadata: { name: string } }>;
    const existing = list.findIndex((o) => o.metadata.name === value.metadata.name);
    if (existing >= 0) list[existing] = value;
    else list.push(value);
  });
  return result;
}

/** The datastore without the object of that kind and name (`calicoctl delete`). */
export function withoutObject(datastore: CalicoDatastore, collection: Collection, objectName: string): CalicoDatastore {
  const list = datastore[collection] as ReadonlyArray<{ metadata: { name: string } }>;
  return { ...datastore, [collection]: list.filter((o) => o.metadata.name !== objectName) };
}
