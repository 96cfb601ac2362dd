import type { Cluster, ClusterNode } from '../stacks/topology/topology.ts';
import { createEngine, type Template } from './engine.ts';
import { containerdView } from './containerd-view.ts';
import { endpointView, kubernetesView, nodeRegistrationView, pathsView } from './kubernetes-view.ts';
import { AS_NUMBER_ANNOTATION, ROUTE_REFLECTOR_ANNOTATION, calicoView } from './calico-view.ts';
import { peerView } from './peer-view.ts';
import { CALICO_DIR, HERD_DIR, KUBEADM_DIR, KUBE_VIP_DIR, ADMIN_KUBECONFIG, SUPER_ADMIN_KUBECONFIG, CONTAINERD_STAGED_CONFIG } from './paths.ts';

/** One rendered file. */
export interface Artifact {
  /** Where `herd render` writes it, relative: "<node>/…" or "cluster/…". */
  readonly path: string;
  /** Where the provisioner puts it on the node, or null for files that stay off the nodes (router configs). */
  readonly destination: string | null;
  readonly mode: number;
  readonly content: string;
}

export interface RenderedNode {
  readonly name: string;
  readonly role: ClusterNode['role'];
  readonly address: string;
  readonly artifacts: readonly Artifact[];
}

export interface RenderedPeer {
  readonly name: string;
  readonly address: string;
  readonly frrConf: Artifact;
}

export interface RenderedCluster {
  readonly name: string;
  readonly nodes: readonly RenderedNode[];
  /** Cluster-wide artifacts, placed by the provisioner on the node that runs them (a serving control plane, a leaving node). */
  readonly cluster: { readonly firstControlPlane: string; readonly artifacts: readonly Artifact[] };
  /** The router or load-balancer side of each external BGP peer. */
  readonly peers: readonly RenderedPeer[];
}

export const SCRIPT_MODE = 0o755;
export const FILE_MODE = 0o644;
/** Files that name the cluster's internals or tokens' placeholders stay readable by root only. */
export const PRIVATE_MODE = 0o600;
/** How long a join token from issue-join-credentials.sh lives: enough for a bounded batch of joins. */
export const JOIN_TOKEN_TTL = '30m';

export const SCRIPTS = {
  prepareNode: 'prepare-node.sh',
  initControlPlane: 'init-control-plane.sh',
  joinControlPlane: 'join-control-plane.sh',
  joinWorker: 'join-worker.sh',
  applyCalico: 'apply-calico.sh',
  issueJoinCredentials: 'issue-join-credentials.sh',
  etcdMembers: 'etcd-members.sh',
  removeNode: 'remove-node.sh',
  resetNode: 'reset-node.sh',
  upgradeNode: 'upgrade-node.sh',
  drainNode: 'drain-node.sh',
} as const;

let sharedEngine: ((name: string) => Template) | undefined;

/** Renders every file of a cluster. Pure: the same cluster gives the same bytes. */
export function renderCluster(cluster: Cluster): RenderedCluster {
  sharedEngine ??= createEngine();
  const template = sharedEngine;
  const first = cluster.controlPlanes[0];
  if (first === undefined) throw new Error(`cluster ${cluster.name} has no control plane`);
  const base = {
    cluster: cluster.name,
    firstControlPlane: first.name,
    kubernetes: kubernetesView(cluster),
    containerd: containerdView(cluster),
    endpoint: endpointView(cluster),
    paths: pathsView,
  };
  // Identical on every node: rendered once.
  const prepareNode = template('prepare-node.sh')(base);
  const containerdConfig = template('containerd-config.toml')(base);
  const hostsFiles = base.containerd.mirrors.map((mirror) => ({ mirror, content: template('containerd-hosts.toml')({ ...base, mirror }) }));

  const nodes = cluster.nodes.map((node): RenderedNode => {
    const at = (file: string, destination: string | null, mode: number, content: string): Artifact => ({ path: `${node.name}/${file}`, destination, mode, content });
    const isFirst = node.name === first.name;
    const controlPlane = node.role === 'controlPlane';
    const view = { ...base, node: nodeRegistrationView(node), controlPlane };
    const artifacts: Artifact[] = [
      at(SCRIPTS.prepareNode, `${HERD_DIR}/${SCRIPTS.prepareNode}`, SCRIPT_MODE, prepareNode),
      at('containerd/config.toml', CONTAINERD_STAGED_CONFIG, FILE_MODE, containerdConfig),
      ...hostsFiles.map(({ mirror, content }) =>
        at(`containerd/certs.d/${mirror.host}/hosts.toml`, `/etc/containerd/certs.d/${mirror.host}/hosts.toml`, FILE_MODE, content),
      ),
    ];
    if (isFirst) {
      artifacts.push(
        at('kubeadm/init.yaml', `${KUBEADM_DIR}/init.yaml`, PRIVATE_MODE, template('kubeadm-init.yaml')(view)),
        at(SCRIPTS.initControlPlane, `${HERD_DIR}/${SCRIPTS.initControlPlane}`, SCRIPT_MODE, template('init-control-plane.sh')(view)),
      );
    }
    // The first control plane can join too: when its machine is replaced while others serve, it
    // joins their cluster instead of starting a new one.
    const joinScript = controlPlane ? SCRIPTS.joinControlPlane : SCRIPTS.joinWorker;
    const joinView = { ...view, script: joinScript };
    artifacts.push(
      at('kubeadm/join.yaml', `${KUBEADM_DIR}/join.yaml`, PRIVATE_MODE, template('kubeadm-join.yaml')(joinView)),
      at(joinScript, `${HERD_DIR}/${joinScript}`, SCRIPT_MODE, template('join.sh')(joinView)),
    );
    if (controlPlane && base.endpoint.kubeVip !== null) {
      artifacts.push(at('kube-vip/kube-vip.yaml', `${KUBE_VIP_DIR}/kube-vip.yaml`, PRIVATE_MODE, template('kube-vip.yaml')({ ...view, bootstrap: false, kubeconfig: ADMIN_KUBECONFIG })));
      if (isFirst) {
        artifacts.push(
          at('kube-vip/kube-vip-bootstrap.yaml', `${KUBE_VIP_DIR}/kube-vip-bootstrap.yaml`, PRIVATE_MODE, template('kube-vip.yaml')({ ...view, bootstrap: true, kubeconfig: SUPER_ADMIN_KUBECONFIG })),
        );
      }
    }
    return { name: node.name, role: node.role, address: node.address, artifacts };
  });

  const calico = calicoView(cluster);
  const clusterView = { ...base, calico, asNumberAnnotation: AS_NUMBER_ANNOTATION, routeReflectorAnnotation: ROUTE_REFLECTOR_ANNOTATION, tokenTtl: JOIN_TOKEN_TTL };
  const clusterFile = (file: string, destination: string, mode: number, content: string): Artifact => ({ path: `cluster/${file}`, destination, mode, content });
  const clusterArtifacts: Artifact[] = [
    clusterFile(SCRIPTS.issueJoinCredentials, `${HERD_DIR}/${SCRIPTS.issueJoinCredentials}`, SCRIPT_MODE, template('issue-join-credentials.sh')(clusterView)),
    clusterFile(SCRIPTS.applyCalico, `${HERD_DIR}/${SCRIPTS.applyCalico}`, SCRIPT_MODE, template('apply-calico.sh')(clusterView)),
    // Day two: placed where they run (a serving control plane, the leaving node) when a node is removed.
    clusterFile(SCRIPTS.etcdMembers, `${HERD_DIR}/${SCRIPTS.etcdMembers}`, SCRIPT_MODE, template('etcd-members.sh')(clusterView)),
    clusterFile(SCRIPTS.removeNode, `${HERD_DIR}/${SCRIPTS.removeNode}`, SCRIPT_MODE, template('remove-node.sh')(clusterView)),
    clusterFile(SCRIPTS.resetNode, `${HERD_DIR}/${SCRIPTS.resetNode}`, SCRIPT_MODE, template('reset-node.sh')(clusterView)),
    // Upgrades: placed on each node as it is upgraded, and on the control plane that drains it.
    clusterFile(SCRIPTS.upgradeNode, `${HERD_DIR}/${SCRIPTS.upgradeNode}`, SCRIPT_MODE, template('upgrade-node.sh')(clusterView)),
    clusterFile(SCRIPTS.drainNode, `${HERD_DIR}/${SCRIPTS.drainNode}`, SCRIPT_MODE, template('drain-node.sh')(clusterView)),
    clusterFile('calico/installation.yaml', `${CALICO_DIR}/installation.yaml`, FILE_MODE, template('calico-installation.yaml')(clusterView)),
    clusterFile('calico/bgp.yaml', `${CALICO_DIR}/bgp.yaml`, FILE_MODE, template('calico-bgp.yaml')(clusterView)),
    ...calico.nodes.map((node) =>
      clusterFile(`calico/nodes/${node.name}.yaml`, `${CALICO_DIR}/nodes/${node.name}.yaml`, FILE_MODE, template('calico-node.yaml')({ ...clusterView, node })),
    ),
  ];
  if (calico.bgp.passwordEnvs.length > 0) {
    clusterArtifacts.push(clusterFile('calico/bgp-secret-access.yaml', `${CALICO_DIR}/bgp-secret-access.yaml`, FILE_MODE, template('calico-bgp-secret-access.yaml')(clusterView)));
  }
  const peers = cluster.spec.calico.bgp.peers.map((peer): RenderedPeer => ({
    name: peer.name,
    address: peer.address,
    frrConf: { path: `cluster/peers/${peer.name}/frr.conf`, destination: null, mode: FILE_MODE, content: template('frr.conf')(peerView(cluster, peer)) },
  }));
  return { name: cluster.name, nodes, cluster: { firstControlPlane: first.name, artifacts: clusterArtifacts }, peers };
}

/** Every artifact in a stable order: nodes in cluster order, then the cluster's, then the peers'. */
export function allArtifacts(rendered: RenderedCluster): Artifact[] {
  return [...rendered.nodes.flatMap((n) => n.artifacts), ...rendered.cluster.artifacts, ...rendered.peers.map((p) => p.frrConf)];
}
