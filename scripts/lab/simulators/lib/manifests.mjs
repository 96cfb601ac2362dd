// Stand-ins for the manifests a node script downloads (the lab has no
// network): the Tigera operator and Calico's CRDs. CRDs carry names, group,
// scope and versions; their schemas are left open (the real ones are in
// ../shared/reference/calico-*, which the template tests check against).
import { stringify } from './yaml.mjs';
import { versionTable } from './versions.mjs';


const CRDS = [
  ['operator.tigera.io', 'v1', 'Installation', 'installations', 'Cluster'],
  ['operator.tigera.io', 'v1', 'APIServer', 'apiservers', 'Cluster'],
  ['operator.tigera.io', 'v1', 'TigeraStatus', 'tigerastatuses', 'Cluster'],
  ['operator.tigera.io', 'v1', 'ImageSet', 'imagesets', 'Cluster'],
  ['operator.tigera.io', 'v1', 'Whisker', 'whiskers', 'Cluster'],
  ['operator.tigera.io', 'v1', 'Goldmane', 'goldmanes', 'Cluster'],
  ...['crd.projectcalico.org', 'projectcalico.org'].flatMap((group) => {
    const version = group === 'projectcalico.org' ? 'v3' : 'v1';
    return [
      [group, version, 'BGPConfiguration', 'bgpconfigurations', 'Cluster'],
      [group, version, 'BGPPeer', 'bgppeers', 'Cluster'],
      [group, version, 'BGPFilter', 'bgpfilters', 'Cluster'],
      [group, version, 'IPPool', 'ippools', 'Cluster'],
      [group, version, 'IPReservation', 'ipreservations', 'Cluster'],
      [group, version, 'CalicoNodeStatus', 'caliconodestatuses', 'Cluster'],
      [group, version, 'FelixConfiguration', 'felixconfigurations', 'Cluster'],
      [group, version, 'ClusterInformation', 'clusterinformations', 'Cluster'],
      [group, version, 'GlobalNetworkPolicy', 'globalnetworkpolicies', 'Cluster'],
      [group, version, 'GlobalNetworkSet', 'globalnetworksets', 'Cluster'],
      [group, version, 'HostEndpoint', 'hostendpoints', 'Cluster'],
      [group, version, 'KubeControllersConfiguration', 'kubecontrollersconfigurations', 'Cluster'],
      [group, version, 'NetworkPolicy', 'networkpolicies', 'Namespaced'],
      [group, version, 'NetworkSet', 'networksets', 'Namespaced'],
    ];
  }),
  // IPAM's own records exist in the storage group only.
  ['crd.projectcalico.org', 'v1', 'BlockAffinity', 'blockaffinities', 'Cluster'],
  ['crd.projectcalico.org', 'v1', 'IPAMBlock', 'ipamblocks', 'Cluster'],
];

const SHORT_NAMES = { bgpconfigurations: ['bgpconfig', 'bgpconfigs'], caliconodestatuses: ['caliconodestatus'] };

function crd([group, version, kind, plural, scope]) {
  const singular = kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular, ...(group === 'projectcalico.org' && SHORT_NAMES[plural] ? { shortNames: SHORT_NAMES[plural] } : {}) },
      scope,
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
    },
  };
}

function operatorObjects(version) {
  // The operator image each release's manifest installs (herd's table of versions).
  const image = versionTable().calico.operatorImages[version] ?? `quay.io/tigera/operator:v${version}`;
  const labels = { 'k8s-app': 'tigera-operator' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tigera-operator', labels: { name: 'tigera-operator', 'pod-security.kubernetes.io/enforce': 'privileged' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tigera-operator', namespace: 'tigera-operator' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'tigera-operator' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'tigera-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'tigera-operator', namespace: 'tigera-operator' }],
      roleRef: { kind: 'ClusterRole', name: 'tigera-operator', apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tigera-operator', namespace: 'tigera-operator', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { name: 'tigera-operator' } },
        template: {
          metadata: { labels: { name: 'tigera-operator', ...labels } },
          spec: { serviceAccountName: 'tigera-operator', hostNetwork: true, containers: [{ name: 'tigera-operator', image }] },
        },
      },
    },
  ];
}

function document(comment, objects) {
  return `# ${comment}\n${objects.map((o) => `---\n${stringify(o)}`).join('')}`;
}

/** Manifest text for a Calico release file name, or undefined if it is not one the lab has. */
export function calicoManifest(version, file) {
  const note = `herd lab fixture standing in for Calico v${version} manifests/${file}`;
  switch (file) {
    case 'operator-crds.yaml':
      return document(note, CRDS.map(crd));
    case 'tigera-operator.yaml':
      // Older releases shipped the CRDs inside tigera-operator.yaml; the lab keeps them there too.
      return document(note, [...CRDS.map(crd), ...operatorObjects(version)]);
    case 'custom-resources.yaml':
      return document(note, [
        {
          apiVersion: 'operator.tigera.io/v1',
          kind: 'Installation',
          metadata: { name: 'default' },
          spec: { calicoNetwork: { ipPools: [{ name: 'default-ipv4-ippool', blockSize: 26, cidr: '192.168.0.0/16', encapsulation: 'VXLANCrossSubnet', natOutgoing: 'Enabled', nodeSelector: 'all()' }] } },
        },
        { apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} },
      ]);
    default:
      return undefined;
  }
}

/** CRDs too big for client-side `kubectl apply` (its last-applied annotation exceeds 256 KiB). */
export const OVERSIZED_CRDS = new Set(['installations.operator.tigera.io']);
