import type { Cluster, ClusterNode } from '../stacks/topology/topology.ts';
import { RACK_LABEL, ROUTE_REFLECTOR_LABEL } from '../stacks/topology/topology.ts';
import type { BgpPeerSpec } from '../stacks/environment/schema.ts';
import { calicoHasSeparateOperatorCrds } from '../stacks/versions/table.ts';
import { reflectionDomains } from '../stacks/topology/cluster-sessions.ts';

// The Calico resources' content, derived from the cluster model.

/** calico-node's namespace when the Tigera operator installs Calico. */
export const CALICO_NAMESPACE = 'calico-system';
/** The Secret holding BGP passwords, one key per environment variable name. */
export const BGP_SECRET_NAME = 'herd-bgp-passwords';
/** Calico reads these Kubernetes Node annotations as the Calico Node's bgp.asNumber and bgp.routeReflectorClusterID. */
export const AS_NUMBER_ANNOTATION = 'projectcalico.org/ASNumber';
export const ROUTE_REFLECTOR_ANNOTATION = 'projectcalico.org/RouteReflectorClusterID';
/** Set on every resource herd applies, so stale ones can be found by label. */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'herd' };

const REFLECTOR_SELECTOR = `${ROUTE_REFLECTOR_LABEL} == 'true'`;

export function operatorManifestUrls(cluster: Cluster): { operator: string; crds: string | null } {
  const calico = cluster.spec.calico;
  const operator = calico.operatorManifestUrl ?? `https://raw.githubusercontent.com/projectcalico/calico/v${calico.version}/manifests/tigera-operator.yaml`;
  // A mirror is expected to hold the release's manifests folder as is: the CRDs sit beside the operator.
  const crds = calicoHasSeparateOperatorCrds(calico.version) ? new URL('operator-crds.yaml', operator).toString() : null;
  return { operator, crds };
}

/** "registry.example.com/calico" → registry "registry.example.com/" and imagePath "calico", as the operator composes <registry><imagePath>/<image>. */
function registryOverride(registry: string | undefined): { registry: string; imagePath: string | null } | null {
  if (registry === undefined) return null;
  const [host, ...path] = registry.replace(/\/+$/, '').split('/');
  return { registry: `${host}/`, imagePath: path.length > 0 ? path.join('/') : null };
}

function peerNodeSelector(peer: BgpPeerSpec): string | null {
  if (peer.nodes === 'all') return null;
  if (peer.nodes === 'routeReflectors') return REFLECTOR_SELECTOR;
  const racks = [...peer.nodes.racks].sort();
  return racks.length === 1 ? `${RACK_LABEL} == '${racks[0]}'` : `${RACK_LABEL} in { ${racks.map((r) => `'${r}'`).join(', ')} }`;
}

export function bgpPasswordEnvs(cluster: Cluster): string[] {
  return [...new Set(cluster.spec.calico.bgp.peers.flatMap((p) => (p.passwordFrom ? [p.passwordFrom.env] : [])))].sort();
}

export function calicoView(cluster: Cluster) {
  const calico = cluster.spec.calico;
  const bgp = calico.bgp;
  const pools = calico.ipPools ?? [{ name: 'default-ipv4-ippool', cidr: cluster.spec.kubernetes.podCidr, blockSize: 26, encapsulation: 'None' as const, natOutgoing: true }];
  const reflectors = bgp.routeReflectors;
  return {
    version: calico.version,
    namespace: CALICO_NAMESPACE,
    manifests: operatorManifestUrls(cluster),
    registry: registryOverride(calico.registry),
    nodeCidr: cluster.spec.network.cidr,
    ipPools: pools.map((p) => ({ ...p, natOutgoing: p.natOutgoing ? 'Enabled' : 'Disabled' })),
    managedBy: MANAGED_BY,
    bgp: {
      asNumber: bgp.asNumber,
      nodeToNodeMesh: bgp.nodeToNodeMesh,
      serviceClusterIps: bgp.advertise.serviceClusterIps ? [cluster.spec.kubernetes.serviceCidr] : [],
      serviceExternalIps: bgp.advertise.serviceExternalIps,
      serviceLoadBalancerIps: bgp.advertise.serviceLoadBalancerIps,
      filters: bgp.filters.map((f) => ({
        name: f.name,
        exportV4: f.exportV4.map((r) => ({ action: r.action, matchOperator: r.matchOperator ?? null, cidr: r.cidr ?? null })),
        importV4: f.importV4.map((r) => ({ action: r.action, matchOperator: r.matchOperator ?? null, cidr: r.cidr ?? null })),
      })),
      peers: bgp.peers.map((p) => ({
        name: p.name,
        address: p.address,
        asNumber: p.asNumber,
        nodeSelector: peerNodeSelector(p),
        password: p.passwordFrom ? { secret: BGP_SECRET_NAME, key: p.passwordFrom.env } : null,
        nextHopMode: p.nextHopMode,
        sourceAddress: p.sourceAddress,
        maxRestartTime: p.maxRestartTime ?? null,
        keepaliveTime: p.keepaliveTime ?? null,
        filters: p.filters,
      })),
      routeReflectors: reflectors ? { clusterId: reflectors.clusterId, domains: reflectionPeerings(cluster) } : null,
      passwordEnvs: bgpPasswordEnvs(cluster),
      secretName: BGP_SECRET_NAME,
    },
    nodes: cluster.nodes.map((n) => nodeMetadata(n, reflectors?.clusterId)),
  };
}

/** Each reflection domain's BGPPeers: its reflectors with each other, its other nodes with every reflector. */
function reflectionPeerings(cluster: Cluster) {
  return reflectionDomains(cluster).map(({ rack }) => {
    const [nameSuffix, scope, and] = rack === undefined ? ['', 'the cluster', ''] : [`-${rack}`, `rack ${rack}`, ` && ${RACK_LABEL} == '${rack}'`];
    return {
      meshName: `herd-route-reflector-mesh${nameSuffix}`,
      clientsName: `herd-nodes-to-route-reflectors${nameSuffix}`,
      scope,
      reflectors: `${REFLECTOR_SELECTOR}${and}`,
      clients: `!has(${ROUTE_REFLECTOR_LABEL})${and}`,
    };
  });
}

function nodeMetadata(node: ClusterNode, clusterId: string | undefined) {
  return {
    name: node.name,
    labels: Object.entries(node.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ key, value })),
    annotations: [
      { key: AS_NUMBER_ANNOTATION, value: String(node.asNumber) },
      ...(node.routeReflector && clusterId !== undefined ? [{ key: ROUTE_REFLECTOR_ANNOTATION, value: clusterId }] : []),
    ],
  };
}
