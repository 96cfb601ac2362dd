import type { CalicoDatastore, CalicoNode, KubernetesNode } from '../resources.ts';
import { parseInterfaceAddress } from './addresses.ts';

// What libcalico's BGP node update processor makes of a Node: its addresses (and the networks
// they are in), its own AS number and route-reflector cluster ID, and its labels for selectors.
// In KDD mode the BGP settings are the Kubernetes Node's projectcalico.org/* annotations; a
// Calico Node of the same name (what `calicoctl apply` writes) takes their place.

export const ANNOTATIONS = {
  ipv4Address: 'projectcalico.org/IPv4Address',
  ipv6Address: 'projectcalico.org/IPv6Address',
  asNumber: 'projectcalico.org/ASNumber',
  routeReflectorClusterID: 'projectcalico.org/RouteReflectorClusterID',
} as const;

export interface NodeBgp {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** "" when the node has no IPv4 address for BGP. */
  readonly ipv4: string;
  readonly ipv4Network: string;
  readonly ipv6: string;
  readonly ipv6Network: string;
  /** "" when the node uses the cluster's AS number. */
  readonly asNumber: string;
  /** "" unless the node is a route reflector. */
  readonly routeReflectorClusterId: string;
}

interface BgpSpec {
  readonly ipv4Address?: string | undefined;
  readonly ipv6Address?: string | undefined;
  readonly asNumber?: string | undefined;
  readonly routeReflectorClusterID?: string | undefined;
}

function fromSpec(name: string, labels: Readonly<Record<string, string>>, spec: BgpSpec): NodeBgp {
  const v4 = spec.ipv4Address ? parseInterfaceAddress(spec.ipv4Address) : undefined;
  const v6 = spec.ipv6Address ? parseInterfaceAddress(spec.ipv6Address) : undefined;
  return {
    name,
    labels,
    ipv4: v4?.address.family === 4 ? v4.address.text : '',
    ipv4Network: v4?.address.family === 4 ? v4.network : '',
    ipv6: v6?.address.family === 6 ? v6.address.text : '',
    ipv6Network: v6?.address.family === 6 ? v6.network : '',
    asNumber: spec.asNumber ?? '',
    routeReflectorClusterId: spec.routeReflectorClusterID ?? '',
  };
}

function kubernetesSpec(node: KubernetesNode): BgpSpec {
  const a = node.metadata.annotations ?? {};
  return {
    ipv4Address: a[ANNOTATIONS.ipv4Address],
    ipv6Address: a[ANNOTATIONS.ipv6Address],
    asNumber: a[ANNOTATIONS.asNumber],
    routeReflectorClusterID: a[ANNOTATIONS.routeReflectorClusterID],
  };
}

function calicoSpec(node: CalicoNode): BgpSpec {
  const bgp = node.spec?.bgp;
  return {
    ipv4Address: bgp?.ipv4Address,
    ipv6Address: bgp?.ipv6Address,
    asNumber: bgp?.asNumber === undefined ? undefined : String(bgp.asNumber),
    routeReflectorClusterID: bgp?.routeReflectorClusterID,
  };
}

/** Every node of the cluster as confd sees it, by name, in name order. */
export function clusterNodes(datastore: CalicoDatastore): ReadonlyMap<string, NodeBgp> {
  const nodes = new Map<string, NodeBgp>();
  for (const k8s of datastore.kubernetesNodes) {
    nodes.set(k8s.metadata.name, fromSpec(k8s.metadata.name, k8s.metadata.labels ?? {}, kubernetesSpec(k8s)));
  }
  for (const calico of datastore.calicoNodes) {
    const labels = { ...nodes.get(calico.metadata.name)?.labels, ...calico.metadata.labels };
    nodes.set(calico.metadata.name, fromSpec(calico.metadata.name, labels, calicoSpec(calico)));
  }
  return new Map([...nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
