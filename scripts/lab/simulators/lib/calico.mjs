// What Calico's own components keep in the simulated cluster: the IP pools the
// Tigera operator creates from the Installation, and the CalicoNodeStatus
// each node's calico-node reports from its BIRD (calico-node.mjs writes the
// reports into state.calicoNodes). And who may read a BGP password.
import { calicoOperatorInstalled, nodeIsReady, stored, storedOfKind } from './kube.mjs';
import { unseal } from './secret-store.mjs';

/** calico-node's namespace when the Tigera operator installs Calico. */
export const CALICO_NAMESPACE = 'calico-system';

const ENCAPSULATION = {
  None: { ipipMode: 'Never', vxlanMode: 'Never' },
  IPIP: { ipipMode: 'Always', vxlanMode: 'Never' },
  IPIPCrossSubnet: { ipipMode: 'CrossSubnet', vxlanMode: 'Never' },
  VXLAN: { ipipMode: 'Never', vxlanMode: 'Always' },
  VXLANCrossSubnet: { ipipMode: 'Never', vxlanMode: 'CrossSubnet' },
};

export function installation(state) {
  return stored(state, 'Installation', 'operator.tigera.io', '', 'default')?.object;
}

/**
 * The IPPools the operator makes from Installation.spec.calicoNetwork.ipPools
 * (projectcalico.org/v3), with the operator's defaults: block size 26, IPIP,
 * NAT outgoing, all nodes. Pools someone applied directly are listed too.
 */
export function ipPools(state) {
  const own = storedOfKind(state, 'IPPool', 'projectcalico.org').map((r) => r.object);
  if (!calicoOperatorInstalled(state)) return own;
  const created = installation(state).metadata?.creationTimestamp;
  const fromOperator = (installation(state).spec?.calicoNetwork?.ipPools ?? []).map((pool) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'IPPool',
    metadata: { name: pool.name ?? 'default-ipv4-ippool', creationTimestamp: created, labels: { 'app.kubernetes.io/managed-by': 'tigera-operator' } },
    spec: {
      cidr: pool.cidr,
      blockSize: pool.blockSize ?? 26,
      ...(ENCAPSULATION[pool.encapsulation ?? 'IPIP'] ?? ENCAPSULATION.IPIP),
      natOutgoing: (pool.natOutgoing ?? 'Enabled') === 'Enabled',
      nodeSelector: pool.nodeSelector ?? 'all()',
      allowedUses: ['Workload', 'Tunnel'],
    },
  }));
  return [...fromOperator.filter((p) => !own.some((o) => o.metadata.name === p.metadata.name)), ...own];
}

/**
 * What a CalicoNodeStatus for this node shows: the latest report of its
 * calico-node, while the node is Ready in a cluster with Calico; otherwise
 * nothing (no calico-node runs there to report).
 */
export function calicoNodeStatus(state, nodeName) {
  const node = state.nodes[nodeName];
  if (!node || !calicoOperatorInstalled(state) || !nodeIsReady(state, node)) return {};
  return structuredClone(state.calicoNodes?.[nodeName]?.status ?? {});
}

/** Whether calico-node may read a BGP password secret: it exists, and RBAC lets calico-node get it. */
export function passwordReadable(state, ref) {
  if (!ref) return true;
  const secret = stored(state, 'Secret', '', CALICO_NAMESPACE, ref.name);
  if (!secret || !(ref.key in (secret.object.data ?? {}))) return false;
  const roles = storedOfKind(state, 'Role', 'rbac.authorization.k8s.io').filter((r) => r.namespace === CALICO_NAMESPACE);
  const grants = roles.filter((r) =>
    (r.object.rules ?? []).some((rule) => (rule.resources ?? []).includes('secrets') && (rule.verbs ?? []).some((v) => v === 'get' || v === '*') && (!rule.resourceNames?.length || rule.resourceNames.includes(ref.name))),
  );
  const bindings = storedOfKind(state, 'RoleBinding', 'rbac.authorization.k8s.io').filter((b) => b.namespace === CALICO_NAMESPACE);
  return bindings.some(
    (b) =>
      grants.some((g) => b.object.roleRef?.kind === 'Role' && b.object.roleRef?.name === g.name) &&
      (b.object.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === 'calico-node' && (s.namespace ?? CALICO_NAMESPACE) === CALICO_NAMESPACE),
  );
}

/**
 * The password a secretKeyRef names, as calico-node reads it: undefined when
 * calico-node may not read it (RBAC) or it does not exist. Needs root.
 */
export function readPassword(state, ref) {
  if (!passwordReadable(state, ref)) return undefined;
  const sealed = stored(state, 'Secret', '', CALICO_NAMESPACE, ref.name)?.sealed?.[ref.key];
  return sealed === undefined ? undefined : unseal(sealed).toString('utf8');
}
