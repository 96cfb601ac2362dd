// kubeadm init and join: preflight checks on this host, the cluster checks
// join makes (token, CA pin, certificate key), and the files and cluster
// records both leave behind.
import { existsSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { stringify } from './yaml.mjs';
import { sha256, updateCluster, readCluster } from './cluster.mjs';
import { installed, readStatus } from './dpkg.mjs';
import { readKernel, sysctlValue } from './kernel.mjs';
import { activeState, enablement, readUnits, reportKubelet, startUnit, updateUnits } from './units.mjs';
import { apiEndpoint, endpointState, etcdQuorum, kindFor, nodeIsReady, splitHostPort } from './kube.mjs';
import { putObject } from './objects.mjs';
import { caCertHash, createCa, writeCaCert, writeJoinedCaKey, writePkiPlaceholders } from './pki.mjs';
import { compareSemver, extraArgs, kubeletDefaults, minorOf, normalizeVersion, TOKEN } from './kubeadm-config.mjs';
import {
  ETCD_DIR,
  pauseImage,
  KUBELET_CONF,
  MANIFESTS_DIR,
  dirNotEmpty,
  writeControlPlaneKubeconfigs,
  writeControlPlaneManifests,
  writeEtcdData,
  writeKubeletFiles,
} from './kubeadm-files.mjs';
import { Exit, fail } from './sim.mjs';
import { newestKubernetes } from './versions.mjs';

export const STACK = 'To see the stack trace of this error execute with --v=5 or higher';

export function kubeadmVersion() {
  const pkg = installed(readStatus(), 'kubeadm');
  return pkg ? normalizeVersion(pkg.version) : `v${newestKubernetes()}`;
}

export function newToken() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

export function newCertificateKey() {
  return randomBytes(32).toString('hex');
}

/** A bootstrap token record (digest only). ttlMs null: never expires. */
export function tokenRecord(token, ttlMs, { description = '', usages = ['authentication', 'signing'], groups = ['system:bootstrappers:kubeadm:default-node-token'] } = {}) {
  const [, id, secret] = TOKEN.exec(token);
  return { id, secretSha256: sha256(secret), expires: ttlMs === null ? null : new Date(Date.now() + ttlMs).toISOString(), usages, groups, description, createdAt: new Date().toISOString() };
}

export function joinCommand(state, token, controlPlaneKey) {
  return `kubeadm join ${apiEndpoint(state)} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${state.cluster.caCertHash} ${controlPlaneKey ? `\\\n\t--control-plane --certificate-key ${controlPlaneKey}` : ''}`;
}

/**
 * Preflight checks; `ignore` is the --ignore-preflight-errors list (or
 * 'all'). Fails like kubeadm with every fatal error listed.
 */
export function preflight(ctx, checks, ignore, phase = 'preflight') {
  const ignored = (name) => ignore.includes('all') || ignore.includes(name.toLowerCase());
  const errors = [];
  for (const { name, problem, warning } of checks) {
    if (!problem) continue;
    if (warning || ignored(name)) ctx.err(`\t[WARNING ${name}]: ${problem}\n`);
    else errors.push(`\t[ERROR ${name}]: ${problem}`);
  }
  if (errors.length > 0) {
    fail(1, `error execution phase ${phase}: [preflight] Some fatal errors occurred:\n${errors.join('\n')}\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`\n${STACK}`);
  }
}

/** Checks of this host that init and join share. */
export function hostChecks({ controlPlane, version, kubeletConfig }) {
  const units = readUnits();
  const kernel = readKernel();
  const status = readStatus();
  const kubelet = installed(status, 'kubelet');
  const containerd = units['containerd.service'];
  const checks = [];
  const runtimeProblem = !containerd?.active
    ? 'container runtime is not running: output: time="" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory\\""\n, error: exit status 1'
    : !containerd.criEnabled
      ? 'container runtime is not running: output: time="" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"\n, error: exit status 1'
      : undefined;
  checks.push({ name: 'CRI', problem: runtimeProblem });
  if (controlPlane) {
    for (const pod of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']) {
      const file = `${MANIFESTS_DIR}/${pod}.yaml`;
      checks.push({ name: `FileAvailable-${file.replaceAll('/', '-')}`, problem: existsSync(file) ? `${file} already exists` : undefined });
    }
    checks.push({ name: 'Port-6443', problem: existsSync(`${MANIFESTS_DIR}/kube-apiserver.yaml`) && activeState(units, 'kubelet.service').active === 'active' ? 'Port 6443 is in use' : undefined });
    checks.push({ name: 'DirAvailable--var-lib-etcd', problem: dirNotEmpty(ETCD_DIR) ? `${ETCD_DIR} is not empty` : undefined });
  }
  checks.push({ name: 'Port-10250', problem: activeState(units, 'kubelet.service').active === 'active' ? 'Port 10250 is in use' : undefined });
  checks.push({ name: 'FileContent--proc-sys-net-ipv4-ip_forward', problem: sysctlValue(kernel, 'net.ipv4.ip_forward') !== '1' ? '/proc/sys/net/ipv4/ip_forward contents are not set to 1' : undefined });
  if (kernel.swap.length > 0) {
    const tolerated = kubeletConfig?.failSwapOn === false;
    checks.push({ name: 'Swap', problem: tolerated ? 'swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap' : 'running with swap on is not supported. Please disable swap', warning: tolerated });
  }
  if (!kubelet) {
    checks.push({ name: 'KubeletVersion', problem: "couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH" });
  } else if (version && minorOf(normalizeVersion(kubelet.version)) > minorOf(version)) {
    checks.push({
      name: 'KubeletVersion',
      problem: `the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "${normalizeVersion(kubelet.version).slice(1)}" Control plane version: "${version.slice(1)}"`,
    });
  }
  checks.push({ name: 'Service-Kubelet', problem: kubelet && enablement('kubelet.service') !== 'enabled' ? "kubelet service is not enabled, please run 'systemctl enable kubelet.service'" : undefined, warning: true });
  return checks;
}

/** Starts kubelet with the configuration just written and tells the cluster. */
export function startKubelet(ctx) {
  const { result: units } = updateUnits((state) => {
    startUnit(state, 'kubelet.service');
    return state;
  });
  reportKubelet(ctx.host, units);
}

function nodeLabels(name, controlPlane, kubeletArgs) {
  const labels = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
  if (controlPlane) {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  for (const pair of (kubeletArgs['node-labels'] ?? '').split(',').filter(Boolean)) {
    const [k, v = ''] = pair.split('=');
    labels[k] = v;
  }
  return labels;
}

function nodeTaints(registration, controlPlane) {
  if (registration && 'taints' in registration) return (registration.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }));
  return controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
}

function nodeRecord({ name, host, address, controlPlane, registration, version }) {
  const kubeletArgs = extraArgs(registration?.kubeletExtraArgs);
  const labels = nodeLabels(name, controlPlane, kubeletArgs);
  const annotations = { 'kubeadm.alpha.kubernetes.io/cri-socket': registration?.criSocket ?? 'unix:///var/run/containerd/containerd.sock' };
  return {
    name,
    host: host.name,
    address: kubeletArgs['node-ip'] ?? address,
    controlPlane,
    controlPlaneVersion: controlPlane ? version : null,
    labels,
    annotations,
    // Who set which label and annotation, so that a server-side apply removes only its own (objects.mjs).
    fieldManagers: { kubelet: { labels: Object.keys(labels), annotations: Object.keys(annotations) } },
    taints: nodeTaints(registration, controlPlane),
    unschedulable: false,
    createdAt: new Date().toISOString(),
    uid: randomUUID(),
  };
}

function etcdMemberId() {
  return randomBytes(8).toString('hex').replace(/^0/, '8');
}

function kubeletFlags(registration, address) {
  const args = extraArgs(registration?.kubeletExtraArgs);
  const flags = ['--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock', `--pod-infra-container-image=${pauseImage(kubeadmVersion())}`];
  if (!args['node-ip'] && address) flags.push(`--node-ip=${address}`);
  for (const [k, v] of Object.entries(args)) flags.push(`--${k}=${v}`);
  return flags;
}

function storeConfigMap(state, namespace, name, data) {
  putObject(state, kindFor(state, 'v1', 'ConfigMap'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data }, namespace);
}

/** The kubeadm-config, kubelet-config, kube-proxy and cluster-info ConfigMaps, as kubeadm uploads them. */
export function uploadClusterConfigMaps(state) {
  const c = state.cluster;
  storeConfigMap(state, 'kube-system', 'kubeadm-config', { ClusterConfiguration: stringify(c.clusterConfiguration, { sortMapEntries: true }) });
  storeConfigMap(state, 'kube-system', 'kubelet-config', { kubelet: stringify(c.kubeletConfiguration, { sortMapEntries: true }) });
  storeConfigMap(state, 'kube-system', 'kube-proxy', { 'config.conf': stringify(c.kubeProxyConfiguration, { sortMapEntries: true }) });
  storeConfigMap(state, 'kube-public', 'cluster-info', {
    kubeconfig: stringify({ apiVersion: 'v1', clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(c.caCertPem).toString('base64'), server: `https://${apiEndpoint(state)}` }, name: '' }], contexts: null, 'current-context': '', kind: 'Config', preferences: {}, users: null }),
  });
}

export function init(ctx, flags, config) {
  if (!ctx.isRoot) fail(1, `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`\n${STACK}`);
  const host = ctx.host;
  const kubeadm = kubeadmVersion();
  const ic = config.InitConfiguration ?? {};
  const cc = config.ClusterConfiguration ?? {};
  const registration = ic.nodeRegistration ?? {};
  const version = normalizeVersion(cc.kubernetesVersion ?? flags['kubernetes-version'] ?? kubeadm) ?? fail(1, `unable to parse kubernetes version "${cc.kubernetesVersion}"`);
  const ignore = [...(flags['ignore-preflight-errors'] ?? []).flatMap((s) => s.split(',')), ...(registration.ignorePreflightErrors ?? [])].map((s) => s.toLowerCase());
  for (const w of config.warnings) ctx.err(`${w}\n`);
  ctx.out(`[init] Using Kubernetes version: ${version}\n[preflight] Running pre-flight checks\n`);
  const checks = hostChecks({ controlPlane: true, version, kubeletConfig: config.KubeletConfiguration });
  if (compareSemver(version, kubeadm) > 0 && minorOf(version) > minorOf(kubeadm)) {
    checks.push({ name: 'KubeadmVersion', problem: `Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes version: ${version.slice(1)}. Kubeadm version: ${kubeadm.slice(1, kubeadm.lastIndexOf('.'))}.x` });
  }
  if (minorOf(version) < minorOf(kubeadm) - 1) fail(1, `this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadm.slice(1, kubeadm.lastIndexOf('.')).replace(/\d+$/, (m) => String(Number(m) - 1))}.0. Current version: ${version}\n${STACK}`);
  preflight(ctx, checks, ignore);
  const existing = readCluster();
  if (existing.cluster) {
    fail(1, `error execution phase preflight: [herd lab] a cluster already exists in this lab (initialised on ${existing.cluster.initializedOn}); the lab simulates one cluster, join this host to it or reset the control planes first\n${STACK}`);
  }
  if (flags['dry-run']) {
    ctx.out('[dryrun] Finished dry-running successfully. Above are the resources that would be created\n');
    return 0;
  }

  const name = (flags['node-name'] ?? registration.name ?? host.name).toLowerCase();
  const address = ic.localAPIEndpoint?.advertiseAddress ?? flags['apiserver-advertise-address'] ?? host.address;
  const caPem = createCa();
  ctx.mutated();
  const clusterInfo = {
    kubernetesVersion: version,
    controlPlaneEndpoint: cc.controlPlaneEndpoint ?? flags['control-plane-endpoint'] ?? '',
    clusterName: cc.clusterName ?? 'kubernetes',
    podSubnet: cc.networking?.podSubnet ?? flags['pod-network-cidr'] ?? '',
    serviceSubnet: cc.networking?.serviceSubnet ?? flags['service-cidr'] ?? '10.96.0.0/12',
    dnsDomain: cc.networking?.dnsDomain ?? flags['service-dns-domain'] ?? 'cluster.local',
    imageRepository: cc.imageRepository ?? flags['image-repository'] ?? 'registry.k8s.io',
    proxyMode: config.KubeProxyConfiguration?.mode || 'iptables',
    caCertPem: caPem,
    caCertHash: caCertHash(caPem),
    initializedOn: host.name,
    firstControlPlane: name,
    initializedAt: new Date().toISOString(),
  };
  clusterInfo.clusterConfiguration = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    ...cc,
    kubernetesVersion: version,
    controlPlaneEndpoint: clusterInfo.controlPlaneEndpoint,
    clusterName: clusterInfo.clusterName,
    imageRepository: clusterInfo.imageRepository,
    networking: { dnsDomain: clusterInfo.dnsDomain, serviceSubnet: clusterInfo.serviceSubnet, ...(clusterInfo.podSubnet ? { podSubnet: clusterInfo.podSubnet } : {}) },
  };
  clusterInfo.kubeletConfiguration = { ...kubeletDefaults(clusterInfo), ...(config.KubeletConfiguration ?? {}) };
  clusterInfo.kubeProxyConfiguration = { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', clusterCIDR: clusterInfo.podSubnet, mode: clusterInfo.proxyMode, ...(config.KubeProxyConfiguration ?? {}) };

  const tokens = (ic.bootstrapTokens ?? [{}]).map((t) => ({ token: t.token ?? newToken(), ttl: t.ttl, description: t.description, usages: t.usages, groups: t.groups }));
  const uploadKey = flags['upload-certs'] ? (flags['certificate-key'] ?? ic.certificateKey ?? newCertificateKey()) : undefined;
  const node = nodeRecord({ name, host, address, controlPlane: true, registration, version });
  const { result: state } = updateCluster((live) => {
    if (live.cluster) throw new Exit(1, `error execution phase preflight: [herd lab] a cluster already exists in this lab (initialised on ${live.cluster.initializedOn})\n${STACK}`);
    live.cluster = clusterInfo;
    live.nodes = { [name]: node };
    live.etcdMembers = [{ id: etcdMemberId(), name, peerURL: `https://${node.address}:2380`, clientURL: `https://${node.address}:2379`, host: host.name }];
    live.bootstrapTokens = tokens.map((t) => tokenRecord(t.token, t.ttl === undefined ? 24 * 3_600_000 : parseTtl(t.ttl), { description: t.description ?? '', ...(t.usages ? { usages: t.usages } : {}), ...(t.groups ? { groups: t.groups } : {}) }));
    live.certificateKey = uploadKey ? { sha256: sha256(uploadKey), expires: new Date(Date.now() + 2 * 3_600_000).toISOString() } : null;
    live.resources = {};
    live.resourceVersion = 1;
    uploadClusterConfigMaps(live);
    return structuredClone(live);
  });
  const server = `https://${apiEndpoint(state)}`;
  writePkiPlaceholders();
  writeControlPlaneKubeconfigs(server, caPem, clusterInfo.clusterName);
  writeKubeletFiles({ server, caPem, clusterName: clusterInfo.clusterName, nodeName: name, kubeletConfig: clusterInfo.kubeletConfiguration, flags: kubeletFlags(registration, address) });
  writeControlPlaneManifests(clusterInfo, node, version);
  writeEtcdData(name);
  startKubelet(ctx);

  ctx.out(
    [
      '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
      '[certs] Generating "ca" certificate and key',
      '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"',
      '[kubeconfig] Writing "admin.conf" kubeconfig file',
      '[kubeconfig] Writing "super-admin.conf" kubeconfig file',
      '[kubeconfig] Writing "kubelet.conf" kubeconfig file',
      '[kubeconfig] Writing "controller-manager.conf" kubeconfig file',
      '[kubeconfig] Writing "scheduler.conf" kubeconfig file',
      '[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"',
      '[control-plane] Creating static Pod manifest for "kube-apiserver"',
      '[control-plane] Creating static Pod manifest for "kube-controller-manager"',
      '[control-plane] Creating static Pod manifest for "kube-scheduler"',
      '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
      '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
      '[kubelet-start] Starting the kubelet',
      '[api-check] The API server is healthy after 1.0s',
      ...(uploadKey ? ['[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace', '[upload-certs] Using certificate key:', flags['skip-certificate-key-print'] ? '' : uploadKey] : []),
      `[mark-control-plane] Marking the node ${name} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
      `[bootstrap-token] Using token: ${flags['skip-token-print'] ? '<value withheld>' : tokens[0].token}`,
      '[addons] Applied essential addon: CoreDNS',
      '[addons] Applied essential addon: kube-proxy',
      '',
      'Your Kubernetes control-plane has initialized successfully!',
      '',
      'To start using your cluster, you need to run the following as a regular user:',
      '',
      '  mkdir -p $HOME/.kube',
      '  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
      '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      'You should now deploy a pod network to the cluster.',
      '',
      ...(flags['skip-token-print']
        ? []
        : [
            ...(clusterInfo.controlPlaneEndpoint ? ['You can now join any number of control-plane nodes by running the following command on each as root:', '', `  ${joinCommand(state, tokens[0].token, uploadKey && !flags['skip-certificate-key-print'] ? uploadKey : undefined)}`, ''] : []),
            'Then you can join any number of worker nodes by running the following on each as root:',
            '',
            `${joinCommand(state, tokens[0].token)}`,
          ]),
      '',
    ].join('\n'),
  );
  return 0;
}

export function parseTtl(ttl) {
  if (ttl === 0 || ttl === '0' || ttl === '0s') return null;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(String(ttl));
  if (!m || String(ttl) === '') fail(1, `invalid TTL "${ttl}"`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

function discoveryFailure(message) {
  fail(1, `error execution phase preflight: couldn't validate the identity of the API Server: ${message}\n${STACK}`);
}

export function join(ctx, flags, config) {
  if (!ctx.isRoot) fail(1, `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`\n${STACK}`);
  const host = ctx.host;
  const jc = config.JoinConfiguration;
  const registration = jc.nodeRegistration ?? {};
  const bt = jc.discovery?.bootstrapToken ?? {};
  const controlPlane = jc.controlPlane !== undefined && jc.controlPlane !== null;
  const ignore = [...(flags['ignore-preflight-errors'] ?? []).flatMap((s) => s.split(',')), ...(registration.ignorePreflightErrors ?? [])].map((s) => s.toLowerCase());
  for (const w of config.warnings) ctx.err(`${w}\n`);
  ctx.out('[preflight] Running pre-flight checks\n');
  const checks = hostChecks({ controlPlane, version: undefined, kubeletConfig: undefined });
  checks.push({ name: 'FileAvailable--etc-kubernetes-kubelet.conf', problem: existsSync(KUBELET_CONF) ? `${KUBELET_CONF} already exists` : undefined });
  checks.push({ name: 'FileAvailable--etc-kubernetes-pki-ca.crt', problem: existsSync('/etc/kubernetes/pki/ca.crt') ? '/etc/kubernetes/pki/ca.crt already exists' : undefined });
  preflight(ctx, checks, ignore);

  const state = readCluster();
  const { host: epHost, port: epPort } = splitHostPort(bt.apiServerEndpoint);
  const reach = endpointState(state, epHost, epPort);
  if (reach !== 'up') {
    discoveryFailure(`Get "https://${epHost}:${epPort}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": ${reach === 'refused' ? `dial tcp ${epHost}:${epPort}: connect: connection refused` : 'context deadline exceeded'}`);
  }
  const token = String(bt.token ?? jc.discovery?.tlsBootstrapToken ?? '');
  const m = TOKEN.exec(token);
  if (!m) fail(1, `discovery.bootstrapToken.token: Invalid value: "<redacted>": the bootstrap token is not of the form "[a-z0-9]{6}.[a-z0-9]{16}"\n${STACK}`);
  const record = state.bootstrapTokens.find((t) => t.id === m[1]);
  const valid = record && record.secretSha256 === sha256(m[2]) && (record.expires === null || Date.parse(record.expires) > Date.now()) && record.usages.includes('authentication');
  if (!valid) discoveryFailure(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${m[1]}"`);
  const pins = bt.caCertHashes ?? [];
  if (pins.length === 0 && !bt.unsafeSkipCAVerification) {
    discoveryFailure('discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue');
  }
  if (pins.length > 0 && !pins.includes(state.cluster.caCertHash)) {
    discoveryFailure(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${state.cluster.caCertHash}" are pinned`);
  }
  if (controlPlane) {
    if (!state.cluster.controlPlaneEndpoint) {
      fail(
        1,
        `error execution phase preflight: \nOne or more conditions for hosting a new control plane instance is not satisfied.\n\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n\n\n${STACK}`,
      );
    }
    const key = jc.controlPlane.certificateKey ?? '';
    const stored = state.certificateKey;
    if (!stored || Date.parse(stored.expires) <= Date.now()) {
      fail(1, `error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run \`kubeadm init phase upload-certs --upload-certs\` on a control plane to generate a new one\n${STACK}`);
    }
    if (!/^[0-9a-f]{64}$/.test(key)) fail(1, `error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding certificate key: encoding/hex: invalid byte\n${STACK}`);
    if (sha256(key) !== stored.sha256) fail(1, `error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding certificate key: failed to decrypt data: cipher: message authentication failed\n${STACK}`);
    if (!etcdQuorum(state)) fail(1, `error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: etcdserver: request timed out\n${STACK}`);
  }
  const name = (flags['node-name'] ?? registration.name ?? host.name).toLowerCase();
  const existing = state.nodes[name];
  if (existing) {
    fail(1, `error execution phase kubelet-start: a Node with name "${name}" and status "${nodeIsReady(state, existing) ? 'Ready' : 'NotReady'}" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n${STACK}`);
  }
  if (flags['dry-run']) {
    ctx.out('[dryrun] Would join this node to the cluster\n');
    return 0;
  }
  const address = jc.controlPlane?.localAPIEndpoint?.advertiseAddress ?? host.address;
  const version = state.cluster.kubernetesVersion;
  const node = nodeRecord({ name, host, address, controlPlane, registration, version });
  const { result: live } = updateCluster((s) => {
    if (!s.cluster || s.cluster.caCertHash !== state.cluster.caCertHash) throw new Exit(1, `error execution phase preflight: couldn't validate the identity of the API Server: the cluster changed during the join\n${STACK}`);
    if (s.nodes[name]) throw new Exit(1, `error execution phase kubelet-start: a Node with name "${name}" and status "NotReady" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n${STACK}`);
    s.nodes[name] = node;
    if (controlPlane) s.etcdMembers.push({ id: etcdMemberId(), name, peerURL: `https://${node.address}:2380`, clientURL: `https://${node.address}:2379`, host: host.name });
    s.resourceVersion = (s.resourceVersion ?? 1) + 1;
    return structuredClone(s);
  });
  ctx.mutated();
  const server = `https://${apiEndpoint(live)}`;
  writeCaCert(live.cluster.caCertPem);
  if (controlPlane) {
    writePkiPlaceholders();
    writeJoinedCaKey();
    writeControlPlaneKubeconfigs(server, live.cluster.caCertPem, live.cluster.clusterName);
    writeControlPlaneManifests(live.cluster, node, version);
    writeEtcdData(name);
  }
  writeKubeletFiles({ server, caPem: live.cluster.caCertPem, clusterName: live.cluster.clusterName, nodeName: name, kubeletConfig: live.cluster.kubeletConfiguration, flags: kubeletFlags(registration, node.address) });
  startKubelet(ctx);
  ctx.out(
    [
      '[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
      "[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.",
      ...(controlPlane ? ['[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace', '[etcd] Announced new etcd member joining to the existing etcd cluster'] : []),
      '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
      '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
      '[kubelet-start] Starting the kubelet',
      '[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap',
      '',
      'This node has joined the cluster:',
      '* Certificate signing request was sent to apiserver and a response was received.',
      '* The Kubelet was informed of the new secure connection details.',
      ...(controlPlane ? ['* Control plane label and taint were applied to the new node.', '* The Kubernetes control plane instances scaled up.', '* A new etcd member was added to the local/stacked etcd cluster.'] : []),
      '',
      "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
      '',
    ].join('\n'),
  );
  return 0;
}

