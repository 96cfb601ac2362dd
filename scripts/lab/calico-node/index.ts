/**
 * calico-node v3.32's BGP configuration and status, as pure functions, for the lab's simulated
 * calico-node (which runs real BIRD 1.6.8 with what these functions write). The split follows
 * upstream, so a reader can hold each part against the original:
 *
 *   resources.ts, yaml-documents.ts  the datastore objects confd reads (Calico v3 resources, KDD
 *                                    Nodes, block affinities, Services) and a reader for YAML
 *   model/                           confd/pkg/backends/calico: what confd computes for a node
 *                                    (client.go peerings, routes.go, bgp_processor.go)
 *   text/                            confd/etc/calico/confd/templates: bird.cfg, bird_aggr.cfg,
 *                                    bird_ipam.cfg
 *   status.ts                        node/pkg/status: CalicoNodeStatus.status from birdc output
 *
 * API (IPv4; calico-node's bird6* files are not generated):
 *
 *   datastoreFromObjects(objects, { base?, where? }) → CalicoDatastore
 *       Kubernetes-shaped objects (projectcalico.org/v3 or crd.projectcalico.org/v1 BGPConfiguration,
 *       BGPPeer, BGPFilter, IPPool, Node, BlockAffinity; v1 Node, Service, Endpoints;
 *       discovery.k8s.io/v1 EndpointSlice) → the datastore; later objects replace earlier ones of
 *       the same kind and name; other kinds are ignored. Throws ResourceError naming the object and
 *       field for a field of the wrong type. Add Felix's local-workload peerings (rare) by setting
 *       `localWorkloads` on the result.
 *
 *   birdConfigFor(datastore, nodeName, { readSecret, routerId? }) → BirdConfigFiles
 *       { 'bird.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg' }: the files calico-node writes to
 *       /etc/calico/confd/config/ for that node (bird.cfg includes the other two by relative name).
 *       readSecret({ name, key }) returns a BGP password, or undefined when calico-node may not or
 *       cannot read that Secret (the peering is then written without a password, as calico-node
 *       does). Passwords appear in bird.cfg only. routerId is CALICO_ROUTER_ID ("hash" or an IPv4
 *       address). Throws UnknownNodeError when the node is not in the datastore.
 *
 *   calicoNodeStatusFromBird({ showProtocols, showStatus?, at? }) → CalicoNodeStatusStatus
 *       showProtocols: `birdc show protocols all` output, or undefined when BIRD did not answer
 *       (BGP status empty, agent NotReady). showStatus: `birdc show status` output.
 *
 * Everything here is pure and synchronous (no I/O except applyYamlFile), and runs under tsx in a
 * plain Node 20 process.
 */
import type { CalicoDatastore } from './resources.ts';
import { nodeBirdConfig, type NodeConfigOptions } from './model/node-config.ts';
import { birdAggrCfg } from './text/bird-aggr-cfg.ts';
import { birdCfg } from './text/bird-cfg.ts';
import { birdIpamCfg } from './text/bird-ipam-cfg.ts';

export interface BirdConfigFiles {
  readonly 'bird.cfg': string;
  readonly 'bird_aggr.cfg': string;
  readonly 'bird_ipam.cfg': string;
}

/** Where calico-node writes the files, and BIRD reads them (bird -c <dir>/bird.cfg). */
export const CONFD_CONFIG_DIR = '/etc/calico/confd/config';

export function birdConfigFor(datastore: CalicoDatastore, nodeName: string, options: NodeConfigOptions): BirdConfigFiles {
  const config = nodeBirdConfig(datastore, nodeName, 4, options);
  return { 'bird.cfg': birdCfg(config), 'bird_aggr.cfg': birdAggrCfg(config), 'bird_ipam.cfg': birdIpamCfg(config) };
}

export { datastoreFromObjects, emptyDatastore, withoutObject, ResourceError } from './resources.ts';
export type {
  BGPConfiguration,
  BGPFilter,
  BGPPeer,
  BlockAffinity,
  CalicoDatastore,
  CalicoNode,
  IPPool,
  KubernetesNode,
  LocalWorkloadPeering,
  Service,
} from './resources.ts';
export { applyYamlFile, parseCalicoYaml } from './yaml-documents.ts';
export { nodeBirdConfig, hashToIPv4, UnknownNodeError } from './model/node-config.ts';
export type { BirdPeer, NodeBirdConfig, NodeConfigOptions, ReadSecret } from './model/node-config.ts';
export type { SecretRef } from './model/bgp-configuration.ts';
export { ANNOTATIONS } from './model/nodes.ts';
export { SelectorError } from './selector.ts';
export { calicoNodeStatusFromBird } from './status.ts';
export type { BirdObservation, CalicoNodePeer, CalicoNodeStatusStatus } from './status.ts';
