// The simulated cluster's behaviour, derived from the shared state: when the
// API answers, which nodes are Ready, what each kind of object looks like
// when read (Nodes, Calico's node status, operator-made objects).
import { createHash } from 'node:crypto';
import { release } from 'node:os';
import { calicoNodeStatus, ipPools } from './calico.mjs';
import { blockAffinityObjects } from './ipam.mjs';

export const API_PORT = 6443;

export function kubeletRunning(state, hostName) {
  return state.hosts[hostName]?.kubelet.running === true;
}

/** etcd answers while more than half of its members' hosts run their kubelet (etcd is a static pod). */
export function etcdQuorum(state) {
  const members = state.etcdMembers;
  const healthy = members.filter((m) => kubeletRunning(state, m.host)).length;
  return members.length > 0 && healthy * 2 > members.length;
}

export function controlPlaneNodes(state) {
  return Object.values(state.nodes).filter((n) => n.controlPlane);
}

/** API servers running: control-plane nodes whose kubelet runs (the API server is a static pod). */
export function apiServers(state) {
  if (!state.cluster) return [];
  return controlPlaneNodes(state).filter((n) => kubeletRunning(state, n.host));
}

export function splitHostPort(text, defaultPort = API_PORT) {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(text);
  return { host: m?.[1] ?? text, port: m?.[2] ? Number(m[2]) : defaultPort };
}

/** The address kubeadm prints in join commands and writes into kubeconfigs. */
export function apiEndpoint(state) {
  if (state.cluster.controlPlaneEndpoint) {
    const { host, port } = splitHostPort(state.cluster.controlPlaneEndpoint);
    return `${host}:${port}`;
  }
  const first = state.nodes[state.cluster.firstControlPlane] ?? controlPlaneNodes(state)[0];
  return `${first?.address ?? '127.0.0.1'}:${API_PORT}`;
}

/**
 * What a client connecting to host:port meets: 'up', 'refused' (nothing
 * listens, or no API server runs), or 'no-quorum' (API servers run, etcd
 * does not answer). The configured control-plane endpoint stands for a load
 * balancer or VIP in front of every API server, unless it is a lab host's
 * own address.
 */
export function endpointState(state, host, port) {
  if (!state.cluster) return 'refused';
  const servers = apiServers(state);
  const endpoint = state.cluster.controlPlaneEndpoint ? splitHostPort(state.cluster.controlPlaneEndpoint) : undefined;
  // An endpoint that is some lab host's own address (the firstNode endpoint) is that host's API server only.
  const endpointIsHost = endpoint && Object.values(state.hosts).some((h) => h.address === endpoint.host);
  const viaEndpoint = endpoint && endpoint.host === host && endpoint.port === port && (endpointIsHost ? servers.some((n) => n.address === host || state.hosts[n.host]?.address === host) : servers.length > 0);
  const direct = port === API_PORT && servers.some((n) => n.address === host);
  if (!viaEndpoint && !direct) return 'refused';
  return etcdQuorum(state) ? 'up' : 'no-quorum';
}

const keyOf = (kind, group, namespace, name) => `${kind}${group ? `.${group}` : ''}/${namespace}/${name}`;

/** Calico serves the same kinds under crd.projectcalico.org/v1 and projectcalico.org/v3; the lab stores them once. */
export function canonicalGroup(group) {
  return group === 'crd.projectcalico.org' ? 'projectcalico.org' : group;
}

export function storageKey(info, namespace, name) {
  return keyOf(info.kind, canonicalGroup(info.group), info.namespaced ? namespace : '', name);
}

export function splitApiVersion(apiVersion) {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const BUILTIN_KINDS = [
  ['', 'v1', 'Namespace', 'namespaces', ['ns'], false],
  ['', 'v1', 'Node', 'nodes', ['no'], false],
  ['', 'v1', 'Pod', 'pods', ['po'], true],
  ['', 'v1', 'Service', 'services', ['svc'], true],
  ['', 'v1', 'Endpoints', 'endpoints', ['ep'], true],
  ['', 'v1', 'Secret', 'secrets', [], true],
  ['', 'v1', 'ConfigMap', 'configmaps', ['cm'], true],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', ['sa'], true],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', ['pv'], false],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', ['pvc'], true],
  ['', 'v1', 'Event', 'events', ['ev'], true],
  ['', 'v1', 'LimitRange', 'limitranges', ['limits'], true],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', ['quota'], true],
  ['apps', 'v1', 'Deployment', 'deployments', ['deploy'], true],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', ['ds'], true],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', ['sts'], true],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', ['rs'], true],
  ['batch', 'v1', 'Job', 'jobs', [], true],
  ['batch', 'v1', 'CronJob', 'cronjobs', ['cj'], true],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', ['pdb'], true],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', [], true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', [], true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', [], false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', [], false],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', ['crd', 'crds'], false],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', ['netpol'], true],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', ['ing'], true],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', ['sc'], false],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', ['pc'], false],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', [], true],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', [], false],
  ['admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', [], false],
  ['apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', [], false],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', ['csr'], false],
].map(([group, version, kind, plural, shortNames, namespaced]) => ({ group, versions: [version], kind, plural, singular: kind.toLowerCase(), shortNames, namespaced }));

/** Every kind the API serves now: built-in ones and those of applied CustomResourceDefinitions. */
export function servedKinds(state) {
  const kinds = [...BUILTIN_KINDS];
  for (const res of Object.values(state.resources)) {
    if (res.kind !== 'CustomResourceDefinition') continue;
    const spec = res.object.spec ?? {};
    if (!spec.group || !spec.names?.kind) continue;
    kinds.push({
      group: spec.group,
      versions: (spec.versions ?? []).map((v) => v.name),
      kind: spec.names.kind,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      shortNames: spec.names.shortNames ?? [],
      namespaced: spec.scope === 'Namespaced',
      crd: res.name,
    });
  }
  return kinds;
}

/** The kind for an apiVersion/kind pair, or undefined ("no matches for kind"). */
export function kindFor(state, apiVersion, kind) {
  const { group, version } = splitApiVersion(apiVersion);
  return servedKinds(state).find((k) => k.kind === kind && k.group === group && k.versions.includes(version));
}

/** Resolves what kubectl takes as a resource type: plural, singular, short name, Kind, optionally ".group". */
export function resolveType(state, text) {
  const lower = text.toLowerCase();
  const matches = servedKinds(state).filter((k) => {
    const names = [k.plural, k.singular, k.kind.toLowerCase(), ...k.shortNames];
    return names.some((n) => lower === n || (k.group && (lower === `${n}.${k.group}` || k.versions.some((v) => lower === `${n}.${v}.${k.group}`))));
  });
  // Calico's kinds exist in two groups; prefer the projectcalico.org/v3 API, as its API server does.
  return matches.find((k) => k.group === 'projectcalico.org') ?? matches[0];
}

/** How kubectl names a kind in its messages: "node", "deployment.apps", "bgppeer.projectcalico.org". */
export function resourceName(info) {
  return info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase();
}

export function pluralName(info) {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

export function stored(state, kind, group, namespace, name) {
  return state.resources[keyOf(kind, canonicalGroup(group), namespace, name)];
}

export function storedOfKind(state, kind, group) {
  return Object.values(state.resources).filter((r) => r.kind === kind && canonicalGroup(splitApiVersion(r.apiVersion).group) === canonicalGroup(group));
}

/** Calico is installed: the operator runs and has an Installation, or calico-node was installed from the manifest. */
export function cniReady(state) {
  const operator = stored(state, 'Deployment', 'apps', 'tigera-operator', 'tigera-operator');
  const installation = stored(state, 'Installation', 'operator.tigera.io', '', 'default');
  const manifest = stored(state, 'DaemonSet', 'apps', 'kube-system', 'calico-node');
  return Boolean((operator && installation) || manifest);
}

/** The Ready condition of a node: { status, reason, message }. */
export function nodeReadiness(state, node) {
  if (!kubeletRunning(state, node.host)) {
    return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  }
  if (!cniReady(state)) {
    return {
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    };
  }
  return { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };
}

export function nodeIsReady(state, node) {
  return nodeReadiness(state, node).status === 'True';
}

export function nodeRoles(node) {
  const roles = Object.keys(node.labels)
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean)
    .sort();
  return roles.length > 0 ? roles.join(',') : '<none>';
}

export const OS_IMAGE = 'Debian GNU/Linux 12 (bookworm)';
export const KERNEL = release();

export function nodeObject(state, node) {
  const ready = nodeReadiness(state, node);
  const host = state.hosts[node.host];
  const time = host?.kubelet.since ?? node.createdAt;
  const condition = (type, status, reason, message) => ({ type, status, lastHeartbeatTime: time, lastTransitionTime: time, reason, message });
  const pressure = ready.status === 'Unknown' ? 'Unknown' : 'False';
  const taints = [...node.taints];
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: node.cordonedAt ?? time });
  if (ready.status !== 'True') taints.push({ key: ready.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: time });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: node.uid,
      resourceVersion: String(state.resourceVersion ?? 1),
      creationTimestamp: node.createdAt,
      labels: { ...node.labels },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...(node.annotations ?? {}) },
    },
    spec: { ...(node.podCIDR ? { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] } : {}), ...(taints.length > 0 ? { taints } : {}), ...(node.unschedulable ? { unschedulable: true } : {}) },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.address },
        { type: 'Hostname', address: node.name },
      ],
      allocatable: { cpu: '2', 'ephemeral-storage': '37867920175', memory: '3922560Ki', pods: '110' },
      capacity: { cpu: '2', 'ephemeral-storage': '41089032Ki', memory: '4024960Ki', pods: '110' },
      conditions: [
        condition('MemoryPressure', pressure, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', pressure, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', pressure, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', ready.status, ready.reason, ready.message),
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: createHash('sha256').update(`boot:${node.host}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
        containerRuntimeVersion: host?.kubelet.runtime ?? 'containerd://unknown',
        kernelVersion: KERNEL,
        kubeProxyVersion: '',
        kubeletVersion: host?.kubelet.version ?? node.kubeletVersion ?? '',
        machineID: createHash('sha256').update(`machine:${node.host}`).digest('hex').slice(0, 32),
        operatingSystem: 'linux',
        osImage: OS_IMAGE,
        systemUUID: createHash('sha256').update(`uuid:${node.host}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
      },
    },
  };
}

const shortHash = (text, n = 5) => {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = createHash('sha256').update(text).digest();
  return Array.from(bytes.subarray(0, n), (b) => alphabet[b % alphabet.length]).join('');
};

function objectMeta(state, name, namespace, extra = {}) {
  const created = state.cluster?.initializedAt ?? new Date().toISOString();
  return { name, ...(namespace ? { namespace } : {}), uid: uuidFor(`${namespace}/${name}`), resourceVersion: String(state.resourceVersion ?? 1), creationTimestamp: created, ...extra };
}

function uuidFor(text) {
  return createHash('sha256').update(text).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5');
}

/** Workloads the cluster runs without anyone applying them: kubeadm's add-ons and what the Tigera operator creates. */
function builtinWorkloads(state) {
  if (!state.cluster) return [];
  const nodes = Object.values(state.nodes);
  const ready = nodes.filter((n) => nodeIsReady(state, n));
  const ds = (namespace, name) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta(state, name, namespace, { labels: { 'k8s-app': name } }),
    spec: { selector: { matchLabels: { 'k8s-app': name } } },
    status: { currentNumberScheduled: nodes.length, desiredNumberScheduled: nodes.length, numberAvailable: ready.length, numberReady: ready.length, updatedNumberScheduled: nodes.length, numberMisscheduled: 0, observedGeneration: 1 },
  });
  const deploy = (namespace, name, replicas) => {
    const available = ready.length > 0;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: objectMeta(state, name, namespace, { labels: { 'k8s-app': name } }),
      spec: { replicas, selector: { matchLabels: { 'k8s-app': name } } },
      status: available
        ? { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, observedGeneration: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] }
        : { replicas, unavailableReplicas: replicas, observedGeneration: 1, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] },
    };
  };
  const out = [ds('kube-system', 'kube-proxy'), deploy('kube-system', 'coredns', 2)];
  if (calicoOperatorInstalled(state)) {
    out.push(ds('calico-system', 'calico-node'), deploy('calico-system', 'calico-kube-controllers', 1), deploy('calico-system', 'calico-typha', Math.min(3, Math.max(1, nodes.length))));
  }
  return out;
}

export function calicoOperatorInstalled(state) {
  return Boolean(stored(state, 'Deployment', 'apps', 'tigera-operator', 'tigera-operator') && stored(state, 'Installation', 'operator.tigera.io', '', 'default'));
}

/** Pods, for `kubectl get pods`: static control-plane pods, DaemonSet pods per node, CoreDNS. */
function builtinPods(state) {
  if (!state.cluster) return [];
  const pods = [];
  const pod = (namespace, name, node, owner, ownerKind, ready) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: objectMeta(state, name, namespace, { labels: { 'k8s-app': owner }, ownerReferences: [{ kind: ownerKind, name: ownerKind === 'Node' ? node.name : owner }] }),
    spec: { nodeName: node.name, containers: [{ name: owner }] },
    status: {
      phase: ready ? 'Running' : 'Pending',
      hostIP: node.address,
      podIP: node.address,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: owner, ready, restartCount: 0, started: ready }],
    },
  });
  const nodes = Object.values(state.nodes);
  for (const node of nodes) {
    const running = kubeletRunning(state, node.host);
    if (node.controlPlane) {
      for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
        pods.push(pod('kube-system', `${component}-${node.name}`, node, component, 'Node', running));
      }
    }
    pods.push(pod('kube-system', `kube-proxy-${shortHash(`kube-proxy/${node.name}`)}`, node, 'kube-proxy', 'DaemonSet', running));
    if (calicoOperatorInstalled(state)) pods.push(pod('calico-system', `calico-node-${shortHash(`calico-node/${node.name}`)}`, node, 'calico-node', 'DaemonSet', nodeIsReady(state, node)));
  }
  const schedulable = nodes.filter((n) => nodeIsReady(state, n));
  for (let i = 0; i < 2; i++) {
    const node = schedulable[i % Math.max(1, schedulable.length)] ?? nodes[0];
    if (node) pods.push(pod('kube-system', `coredns-${shortHash('coredns', 10)}-${shortHash(`coredns/${i}`)}`, node, 'coredns', 'ReplicaSet', schedulable.length > 0));
  }
  return pods;
}

export const BUILTIN_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

export function namespaceNames(state) {
  const names = new Set(state.cluster ? BUILTIN_NAMESPACES : []);
  for (const r of Object.values(state.resources)) if (r.kind === 'Namespace') names.add(r.name);
  if (calicoOperatorInstalled(state)) names.add('calico-system');
  if (calicoOperatorInstalled(state) && stored(state, 'APIServer', 'operator.tigera.io', '', 'default')) names.add('calico-apiserver');
  return [...names].sort();
}

function namespaceObject(state, name) {
  const own = stored(state, 'Namespace', '', '', name);
  const base = own ? structuredClone(own.object) : { apiVersion: 'v1', kind: 'Namespace', metadata: objectMeta(state, name, undefined) };
  base.metadata.labels = { ...(base.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  base.spec = { finalizers: ['kubernetes'] };
  base.status = { phase: 'Active' };
  return base;
}

function tigeraStatuses(state) {
  if (!calicoOperatorInstalled(state)) return [];
  const nodes = Object.values(state.nodes);
  const available = nodes.length > 0 && nodes.every((n) => nodeIsReady(state, n));
  const status = (name) => ({
    apiVersion: 'operator.tigera.io/v1',
    kind: 'TigeraStatus',
    metadata: objectMeta(state, name, undefined),
    spec: {},
    status: {
      conditions: [
        { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'AllObjectsAvailable' : 'ResourceNotReady', message: available ? 'All objects are available' : 'calico-node is not ready on every node' },
        { type: 'Progressing', status: available ? 'False' : 'True', reason: available ? 'AllObjectsAvailable' : 'ResourceNotReady', message: '' },
        { type: 'Degraded', status: 'False', reason: 'AllObjectsAvailable', message: '' },
      ],
    },
  });
  const names = ['calico', 'ippools'];
  if (stored(state, 'APIServer', 'operator.tigera.io', '', 'default')) names.push('apiserver');
  return names.map(status);
}

/** A Calico object as served under the group and version asked for (the lab stores each once). */
function inGroupOf(info, object) {
  return { ...object, apiVersion: `${info.group}/${info.versions[0]}` };
}

/** Objects of a kind as the API returns them, in a namespace (or all namespaces when namespace is null). */
export function listObjects(state, info, namespace) {
  const inNamespace = (o) => !info.namespaced || namespace === null || o.metadata.namespace === namespace;
  let objects;
  if (info.kind === 'Node' && info.group === '') objects = Object.values(state.nodes).map((n) => nodeObject(state, n));
  else if (info.kind === 'Namespace' && info.group === '') objects = namespaceNames(state).map((n) => namespaceObject(state, n));
  else if (info.kind === 'Pod' && info.group === '') objects = builtinPods(state);
  else if (info.kind === 'TigeraStatus') objects = tigeraStatuses(state);
  else if (info.kind === 'IPPool' && canonicalGroup(info.group) === 'projectcalico.org') objects = ipPools(state).map((p) => inGroupOf(info, p));
  else if (info.kind === 'BlockAffinity') objects = blockAffinityObjects(state).map((b) => inGroupOf(info, b));
  else {
    const own = storedOfKind(state, info.kind, info.group).map((r) => withStatus(state, info, r));
    const builtin = info.group === 'apps' ? builtinWorkloads(state).filter((w) => w.kind === info.kind && !own.some((o) => o.metadata.namespace === w.metadata.namespace && o.metadata.name === w.metadata.name)) : [];
    objects = [...own, ...builtin];
  }
  return objects.filter(inNamespace).sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
}

export function getObject(state, info, namespace, name) {
  return listObjects(state, info, info.namespaced ? namespace : null).find((o) => o.metadata.name === name);
}

/** A stored object as read back, with the status its controller would have written. */
function withStatus(state, info, resource) {
  const object = structuredClone(resource.object);
  if (info.kind === 'CustomResourceDefinition') {
    object.status = {
      acceptedNames: object.spec?.names ?? {},
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' },
      ],
      storedVersions: (object.spec?.versions ?? []).map((v) => v.name),
    };
  }
  if (info.kind === 'Secret' && info.group === '') {
    // The lab keeps digests, not values (see objects.mjs): show each as base64 of "herd-lab:sha256:…".
    object.data = Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(`herd-lab:${v}`).toString('base64')]));
  }
  if (info.kind === 'CalicoNodeStatus') object.status = calicoNodeStatus(state, object.spec?.node);
  if (info.kind === 'Deployment' || info.kind === 'DaemonSet') {
    const builtin = builtinWorkloadsFor(state, info.kind, object);
    object.status = builtin.status;
  }
  return object;
}

/** Status of an applied Deployment or DaemonSet: it runs where the simulated scheduler would place it. */
function builtinWorkloadsFor(state, kind, object) {
  const nodes = Object.values(state.nodes);
  const ready = nodes.filter((n) => nodeIsReady(state, n));
  if (kind === 'DaemonSet') {
    return { status: { currentNumberScheduled: nodes.length, desiredNumberScheduled: nodes.length, numberAvailable: ready.length, numberReady: ready.length, updatedNumberScheduled: nodes.length, numberMisscheduled: 0, observedGeneration: 1 } };
  }
  const untainted = ready.filter((n) => !n.unschedulable && !n.taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'));
  // The Tigera operator runs on the host network and tolerates every taint: it starts before the CNI.
  const canRun = object.spec?.template?.spec?.hostNetwork ? nodes.some((n) => kubeletRunning(state, n.host)) : untainted.length > 0;
  const replicas = object.spec?.replicas ?? 1;
  return {
    status: canRun
      ? { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, observedGeneration: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] }
      : { replicas, unavailableReplicas: replicas, observedGeneration: 1, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] },
  };
}

/** kubectl's AGE column (k8s.io/apimachinery duration.HumanDuration). */
export function age(iso) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}
