// What calico-node reads from the cluster for its BIRD configuration, in the
// form Calico's confd reads it (scripts/lab/calico-node: datastoreFromObjects):
// Calico's BGP resources as applied, the IP pools the operator made, the
// Kubernetes Nodes with their projectcalico.org/* annotations, the IPAM block
// affinities, and the Services and endpoints service advertisement looks at.
import { ipPools, readPassword } from '../calico.mjs';
import { blockAffinityObjects } from '../ipam.mjs';
import { nodeObject, storedOfKind } from '../kube.mjs';

const CALICO_KINDS = ['BGPConfiguration', 'BGPPeer', 'BGPFilter'];
const SERVICE_KINDS = [
  ['Service', ''],
  ['Endpoints', ''],
  ['EndpointSlice', 'discovery.k8s.io'],
];

export function datastoreObjects(state) {
  return [
    ...CALICO_KINDS.flatMap((kind) => storedOfKind(state, kind, 'projectcalico.org').map((r) => r.object)),
    ...ipPools(state),
    ...Object.values(state.nodes).map((n) => nodeObject(state, n)),
    ...blockAffinityObjects(state),
    ...SERVICE_KINDS.flatMap(([kind, group]) => storedOfKind(state, kind, group).map((r) => r.object)),
  ];
}

/** confd's readSecret: a password calico-node may read, else undefined (the peering goes without one). */
export function secretReader(state) {
  return (ref) => readPassword(state, ref);
}
