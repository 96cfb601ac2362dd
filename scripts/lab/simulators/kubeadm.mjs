// Simulated kubeadm (the minor installed, as herd's table of versions describes it): init, join, reset, token, upgrade,
// init phase upload-certs, certs certificate-key, config images|validate,
// version. It writes the files kubeadm writes on the host and keeps the
// cluster in the lab's shared state; no Kubernetes component runs.
import { existsSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { readCluster, sha256, updateCluster } from './lib/cluster.mjs';
import { readJson, writeJson } from './lib/files.mjs';
import { apiEndpoint, controlPlaneNodes, etcdQuorum, nodeIsReady } from './lib/kube.mjs';
import { connect, loadKubeconfig } from './lib/kubeconfig.mjs';
import { compareSemver, minorOf, normalizeVersion, readKubeadmConfig, TOKEN } from './lib/kubeadm-config.mjs';
import { ADMIN_CONF, KUBELET_CONF, images, removeNodeFiles, writeControlPlaneManifests, writeKubeletFiles } from './lib/kubeadm-files.mjs';
import { init, join, kubeadmVersion, newCertificateKey, newToken, parseTtl, STACK, tokenRecord, uploadClusterConfigMaps } from './lib/kubeadm-node.mjs';
import { DISK_DIR } from './lib/paths.mjs';
import { fail, simulate } from './lib/sim.mjs';
import { readUnits, reportKubelet, stopUnit, updateUnits } from './lib/units.mjs';
import { removeAllContainers } from './lib/containers.mjs';
import { formatTable } from './lib/printers.mjs';

const FLAGS = {
  config: { type: 'string' },
  'ignore-preflight-errors': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  'skip-phases': { type: 'string', multiple: true },
  v: { type: 'string', short: 'v' },
  kubeconfig: { type: 'string' },
  'upload-certs': { type: 'boolean' },
  'certificate-key': { type: 'string' },
  'skip-token-print': { type: 'boolean' },
  'skip-certificate-key-print': { type: 'boolean' },
  'kubernetes-version': { type: 'string' },
  'pod-network-cidr': { type: 'string' },
  'service-cidr': { type: 'string' },
  'service-dns-domain': { type: 'string' },
  'apiserver-advertise-address': { type: 'string' },
  'apiserver-bind-port': { type: 'string' },
  'apiserver-cert-extra-sans': { type: 'string' },
  'control-plane-endpoint': { type: 'string' },
  'image-repository': { type: 'string' },
  'node-name': { type: 'string' },
  'cri-socket': { type: 'string' },
  token: { type: 'string' },
  'token-ttl': { type: 'string' },
  'discovery-token': { type: 'string' },
  'discovery-token-ca-cert-hash': { type: 'string', multiple: true },
  'discovery-token-unsafe-skip-ca-verification': { type: 'boolean' },
  'discovery-file': { type: 'string' },
  'tls-bootstrap-token': { type: 'string' },
  'control-plane': { type: 'boolean' },
  patches: { type: 'string' },
  'feature-gates': { type: 'string' },
  rootfs: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  yes: { type: 'boolean', short: 'y' },
  'cleanup-tmp-dir': { type: 'boolean' },
  'print-join-command': { type: 'boolean' },
  ttl: { type: 'string' },
  description: { type: 'string' },
  usages: { type: 'string', multiple: true },
  groups: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  'allow-experimental-upgrades': { type: 'boolean' },
  'allow-release-candidate-upgrades': { type: 'boolean' },
  'allow-missing-template-keys': { type: 'boolean' },
  'certificate-renewal': { type: 'boolean' },
  'etcd-upgrade': { type: 'boolean' },
  'print-config': { type: 'boolean' },
  'show-managed-fields': { type: 'boolean' },
  'cert-dir': { type: 'string' },
  'skip-log-headers': { type: 'boolean' },
};

/** Flags kubeadm allows next to --config; any other is "can not mix". */
const MIXABLE = new Set([
  'config', 'ignore-preflight-errors', 'dry-run', 'skip-phases', 'v', 'kubeconfig', 'upload-certs', 'certificate-key', 'skip-token-print',
  'skip-certificate-key-print', 'patches', 'rootfs', 'yes', 'force', 'print-join-command', 'output', 'allow-experimental-upgrades',
  'allow-release-candidate-upgrades', 'certificate-renewal', 'etcd-upgrade', 'skip-log-headers',
]);

function confirm(ctx, prompt, flags) {
  if (flags.force || flags.yes) return;
  ctx.out(prompt);
  const answer = ctx.readStdin().split('\n')[0]?.trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') fail(1, `error execution phase preflight: won't proceed; the user didn't answer (Y|y) in order to continue\n${STACK}`);
}

/** Connects with /etc/kubernetes/admin.conf (or --kubeconfig), as kubeadm's cluster-facing commands do. */
function adminState(flags, fallback = ADMIN_CONF) {
  const path = flags.kubeconfig ?? fallback;
  if (!existsSync(path)) fail(1, `failed to load admin kubeconfig: open ${path}: no such file or directory\n${STACK}`);
  const state = readCluster();
  connect(state, loadKubeconfig(path));
  return state;
}

function configFrom(flags, kind) {
  if (flags.config !== undefined) {
    const mixed = Object.keys(flags).filter((f) => !MIXABLE.has(f));
    if (mixed.length > 0) fail(1, `can not mix '--config' with arguments [${mixed.join(' ')}]\n${STACK}`);
    const config = readKubeadmConfig(flags.config);
    if (kind === 'JoinConfiguration' && !config.JoinConfiguration) fail(1, `no JoinConfiguration kind was found in the YAML file\n${STACK}`);
    return config;
  }
  return { warnings: [] };
}

function joinConfigFromFlags(flags, endpoint) {
  return {
    warnings: [],
    JoinConfiguration: {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: endpoint,
          token: flags['discovery-token'] ?? flags.token,
          caCertHashes: flags['discovery-token-ca-cert-hash'] ?? [],
          unsafeSkipCAVerification: Boolean(flags['discovery-token-unsafe-skip-ca-verification']),
        },
        tlsBootstrapToken: flags['tls-bootstrap-token'] ?? flags.token,
      },
      nodeRegistration: { ...(flags['node-name'] ? { name: flags['node-name'] } : {}), ...(flags['cri-socket'] ? { criSocket: flags['cri-socket'] } : {}) },
      ...(flags['control-plane']
        ? { controlPlane: { certificateKey: flags['certificate-key'], ...(flags['apiserver-advertise-address'] ? { localAPIEndpoint: { advertiseAddress: flags['apiserver-advertise-address'] } } : {}) } }
        : {}),
    },
  };
}

function token(ctx, flags, args) {
  const [verb, ...rest] = args;
  if (verb === 'generate') {
    ctx.out(`${newToken()}\n`);
    return 0;
  }
  const state = adminState(flags);
  if (verb === 'create') {
    const given = rest[0];
    if (given !== undefined && !TOKEN.test(given)) fail(1, `the bootstrap token "<redacted>" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"\n${STACK}`);
    const value = given ?? newToken();
    const ttl = parseTtl(flags.ttl ?? '24h');
    const record = tokenRecord(value, ttl, { description: flags.description ?? '', ...(flags.usages ? { usages: flags.usages.flatMap((u) => u.split(',')) } : {}), ...(flags.groups ? { groups: flags.groups.flatMap((g) => g.split(',')) } : {}) });
    updateCluster((live) => {
      live.bootstrapTokens = live.bootstrapTokens.filter((t) => t.id !== record.id);
      live.bootstrapTokens.push(record);
    });
    ctx.mutated();
    if (flags['print-join-command']) {
      const key = flags['certificate-key'];
      ctx.out(`kubeadm join ${apiEndpoint(state)} --token ${value} --discovery-token-ca-cert-hash ${state.cluster.caCertHash} ${key ? `--control-plane --certificate-key ${key} ` : ''}\n`);
    } else ctx.out(`${value}\n`);
    return 0;
  }
  if (verb === 'list') {
    const rows = state.bootstrapTokens.map((t) => {
      const ttl = t.expires === null ? '<forever>' : `${Math.max(0, Math.round((Date.parse(t.expires) - Date.now()) / 3_600_000))}h`;
      return [`${t.id}.****************`, ttl, t.expires ?? '<never>', t.usages.join(','), t.description || '<none>', t.groups.join(',')];
    });
    if (rows.length > 0) ctx.out(formatTable(['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'], rows));
    return 0;
  }
  if (verb === 'delete') {
    if (rest.length === 0) fail(1, `missing subcommand; 'token delete' is missing token of form "^([a-z0-9]{6})\\.([a-z0-9]{16})$" or "^([a-z0-9]{6})$"\n${STACK}`);
    for (const item of rest) {
      const id = item.split('.')[0];
      const { result: found } = updateCluster((live) => {
        const before = live.bootstrapTokens.length;
        live.bootstrapTokens = live.bootstrapTokens.filter((t) => t.id !== id);
        return live.bootstrapTokens.length !== before;
      });
      if (!found) fail(1, `bootstrap token "${id}" not found\n${STACK}`);
      ctx.mutated();
      ctx.out(`bootstrap token "${id}" deleted\n`);
    }
    return 0;
  }
  fail(1, `unknown command "${verb}" for "kubeadm token"`);
}

function uploadCerts(ctx, flags) {
  if (!flags['upload-certs']) fail(1, `error execution phase upload-certs: --upload-certs must be set\n${STACK}`);
  if (!ctx.isRoot) fail(1, `failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: permission denied\n${STACK}`);
  adminState(flags);
  if (!existsSync('/etc/kubernetes/pki/ca.crt')) fail(1, `error execution phase upload-certs: error uploading certs: failed to load ca.crt: open /etc/kubernetes/pki/ca.crt: no such file or directory\n${STACK}`);
  const key = flags['certificate-key'] ?? newCertificateKey();
  if (!/^[0-9a-f]{64}$/.test(key)) fail(1, `error execution phase upload-certs: error uploading certs: error decoding certificate key: encoding/hex: invalid byte\n${STACK}`);
  updateCluster((live) => {
    live.certificateKey = { sha256: sha256(key), expires: new Date(Date.now() + 2 * 3_600_000).toISOString() };
  });
  ctx.mutated();
  ctx.out(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${key}\n`);
  return 0;
}

function reset(ctx, flags, phase) {
  if (!ctx.isRoot) fail(1, `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n${STACK}`);
  const host = ctx.host;
  if (phase === undefined) confirm(ctx, '[reset] Are you sure you want to proceed? [y/N]: ', flags);
  const state = readCluster();
  const node = Object.values(state.nodes).find((n) => n.host === host.name);
  const member = state.etcdMembers.find((m) => m.host === host.name);
  ctx.out('[preflight] Running pre-flight checks\n');
  if (member) {
    if (state.etcdMembers.length > 1 && !etcdQuorum(state)) {
      ctx.err(`W0000 00:00:00.000000       1 removeetcdmember.go:106] [reset] No kubeadm config, using etcd pod spec to get data directory\n[reset] failed to remove etcd member: etcdserver: request timed out\n`);
    } else {
      updateCluster((live) => {
        live.etcdMembers = live.etcdMembers.filter((m) => m.host !== host.name);
        if (live.etcdMembers.length === 0) {
          // The last etcd member held the cluster: it is gone.
          Object.assign(live, { cluster: null, nodes: {}, etcdMembers: [], bootstrapTokens: [], certificateKey: null, resources: {} });
        }
      });
      ctx.mutated();
      ctx.out(`[reset] Removing info for node "${node?.name ?? host.name}" from the ConfigMap "kubeadm-config" in the "kube-system" Namespace\n`);
    }
  }
  if (phase === 'remove-etcd-member') return 0;
  const units = readUnits();
  if (units['kubelet.service']?.active) {
    const { result } = updateUnits((s) => {
      stopUnit(s, 'kubelet.service');
      return s;
    });
    reportKubelet(host, result);
    ctx.mutated();
  }
  ctx.out('[reset] Stopping the kubelet service\n[reset] Unmounting mounted directories in "/var/lib/kubelet"\n');
  if (removeNodeFiles()) ctx.mutated();
  removeAllContainers();
  ctx.out(
    '[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n' +
      '[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]\n\n' +
      'The reset process does not perform cleanup of CNI plugin configuration,\nnetwork filtering rules and kubeconfig files.\n\n' +
      'For information on how to perform this cleanup manually, please see:\n    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n',
  );
  return 0;
}

function upgradeChecks(state, target, kubeadm, flags) {
  const problems = [];
  if (compareSemver(target, kubeadm) > 0) problems.push(`Specified version to upgrade to "${target}" is higher than the kubeadm version "${kubeadm}". Upgrade kubeadm first using the tool you used to install kubeadm`);
  const current = state.cluster.kubernetesVersion;
  if (minorOf(target) > minorOf(current) + 1) problems.push(`Specified version to upgrade to "${target}" is too high; kubeadm can upgrade only 1 minor version at a time`);
  if (minorOf(target) < minorOf(current)) problems.push(`Specified version to upgrade to "${target}" is an unsupported version; kubeadm cannot downgrade between minor versions`);
  if (problems.length > 0 && !flags.force) {
    fail(1, `error execution phase preflight: [upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n${problems.map((p) => `\t- ${p}`).join('\n')}\n\nCan be bypassed if you pass the --force flag\n${STACK}`);
  }
  const notReady = controlPlaneNodes(state).filter((n) => !nodeIsReady(state, n)).map((n) => n.name);
  if (notReady.length > 0 && !(flags['ignore-preflight-errors'] ?? []).some((e) => /controlplanenodesready|all/i.test(e))) {
    fail(1, `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR ControlPlaneNodesReady]: there are NotReady control-planes in the cluster: [${notReady.join(' ')}]\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`\n${STACK}`);
  }
}

function upgrade(ctx, flags, args) {
  const [verb, versionArg] = args;
  const host = ctx.host;
  const kubeadm = kubeadmVersion();
  if (verb === 'plan') {
    const state = adminState(flags);
    const current = state.cluster.kubernetesVersion;
    const target = normalizeVersion(versionArg ?? kubeadm);
    ctx.out(`[preflight] Running pre-flight checks.\n[upgrade/config] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[upgrade] Running cluster health checks\n[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: ${current.slice(1)}\n[upgrade/versions] kubeadm version: ${kubeadm}\n[upgrade/versions] Target version: ${target}\n\n`);
    if (compareSemver(target, current) <= 0) {
      ctx.out('Awesome, you\'re up-to-date! Enjoy!\n');
      return 0;
    }
    const nodes = Object.values(state.nodes);
    ctx.out("Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':\n");
    ctx.out(formatTable(['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], nodes.map((n) => ['kubelet', n.name, state.hosts[n.host]?.kubelet.version ?? '', target])));
    ctx.out('\nUpgrade to the latest version in the v' + target.slice(1, target.lastIndexOf('.')) + ' series:\n\n');
    const rows = controlPlaneNodes(state).flatMap((n) => ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => [c, n.name, n.controlPlaneVersion ?? current, target]));
    ctx.out(formatTable(['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], [...rows, ['kube-proxy', '', current, target], ['CoreDNS', '', 'v1.12.1', 'v1.12.1'], ['etcd', '', '3.6.5-0', '3.6.5-0']]));
    ctx.out(`\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${target}\n\n_____________________________________________________________________\n`);
    return 0;
  }
  if (!ctx.isRoot) fail(1, `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n${STACK}`);
  if (verb === 'apply') {
    const config = flags.config ? readKubeadmConfig(flags.config) : { warnings: [] };
    const target = normalizeVersion(versionArg ?? config.UpgradeConfiguration?.apply?.kubernetesVersion ?? '');
    if (!target) fail(1, `missing one or more required arguments. Required arguments: [version]\n${STACK}`);
    const state = adminState(flags);
    const node = Object.values(state.nodes).find((n) => n.host === host.name && n.controlPlane);
    if (!node) fail(1, `error execution phase preflight: [upgrade] this node is not a control plane node of the cluster\n${STACK}`);
    ctx.out('[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[preflight] Running pre-flight checks.\n[upgrade] Running cluster health checks\n');
    upgradeChecks(state, target, kubeadm, flags);
    confirm(ctx, `[upgrade/version] You have chosen to change the cluster version to "${target}"\n[upgrade/versions] Cluster version: ${state.cluster.kubernetesVersion}\n[upgrade/versions] kubeadm version: ${kubeadm}\n[upgrade] Are you sure you want to proceed? [y/N]: `, flags);
    if (flags['dry-run']) return 0;
    const { result: live, changed } = updateCluster((s) => {
      s.cluster.kubernetesVersion = target;
      s.cluster.clusterConfiguration = { ...s.cluster.clusterConfiguration, kubernetesVersion: target };
      s.nodes[node.name].controlPlaneVersion = target;
      uploadClusterConfigMaps(s);
      return structuredClone(s);
    });
    if (changed) ctx.mutated();
    writeControlPlaneManifests(live.cluster, live.nodes[node.name], target);
    ctx.out(`[upgrade/staticpods] Writing new Static Pod manifests to "/etc/kubernetes/tmp/kubeadm-upgraded-manifests"\n[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n[upgrade/staticpods] Component "kube-controller-manager" upgraded successfully!\n[upgrade/staticpods] Component "kube-scheduler" upgraded successfully!\n[upgrade] Backing up kubelet config file to /etc/kubernetes/tmp/kubeadm-kubelet-config.yaml\n[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy\n\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${target}".\n\n[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.\n`);
    return 0;
  }
  if (verb === 'node') {
    const conf = existsSync(ADMIN_CONF) ? ADMIN_CONF : KUBELET_CONF;
    if (!existsSync(conf)) fail(1, `error execution phase preflight: unable to fetch the kubeadm-config ConfigMap: failed to load admin kubeconfig: open ${KUBELET_CONF}: no such file or directory\n${STACK}`);
    const state = adminState(flags, conf);
    const node = Object.values(state.nodes).find((n) => n.host === host.name);
    if (!node) fail(1, `error execution phase preflight: [upgrade] this host is not a node of the cluster\n${STACK}`);
    const target = state.cluster.kubernetesVersion;
    ctx.out('[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[preflight] Running pre-flight checks\n');
    if (node.controlPlane) {
      if (compareSemver(target, kubeadm) > 0) fail(1, `error execution phase control-plane: the cluster version "${target}" is higher than the kubeadm version "${kubeadm}"; upgrade kubeadm first\n${STACK}`);
      const { changed } = updateCluster((s) => {
        s.nodes[node.name].controlPlaneVersion = target;
      });
      if (changed) ctx.mutated();
      writeControlPlaneManifests(state.cluster, node, target);
      ctx.out('[upgrade] Upgrading your Static Pod-hosted control plane instance to version "' + target + '"...\n[upgrade] The control plane instance for this node was successfully upgraded!\n');
    }
    writeKubeletFiles({ server: `https://${apiEndpoint(state)}`, caPem: state.cluster.caCertPem, clusterName: state.cluster.clusterName, nodeName: node.name, kubeletConfig: state.cluster.kubeletConfiguration, flags: ['--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock'] });
    ctx.out('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!\n[upgrade] The configuration for this node was successfully upgraded!\n[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.\n');
    return 0;
  }
  fail(1, `unknown command "${verb}" for "kubeadm upgrade"`);
}

function version(ctx, flags) {
  const v = kubeadmVersion();
  const [major, minor] = v.slice(1).split('.');
  const info = { major, minor, gitVersion: v, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2025-11-11T00:00:00Z', goVersion: 'go1.24.9', compiler: 'gc', platform: 'linux/amd64' };
  if (flags.output === 'short') ctx.out(`${v}\n`);
  else if (flags.output === 'json') ctx.out(`${JSON.stringify({ clientVersion: info }, null, 2)}\n`);
  else if (flags.output === 'yaml') ctx.out(`clientVersion:\n${Object.entries(info).map(([k, val]) => `  ${k}: ${val}`).join('\n')}\n`);
  else ctx.out(`kubeadm version: &version.Info{Major:"${major}", Minor:"${minor}", EmulationMajor:"", EmulationMinor:"", MinCompatibilityMajor:"", MinCompatibilityMinor:"", GitVersion:"${v}", GitCommit:"${info.gitCommit}", GitTreeState:"clean", BuildDate:"${info.buildDate}", GoVersion:"go1.24.9", Compiler:"gc", Platform:"linux/amd64"}\n`);
  return 0;
}

function configCommand(ctx, flags, args) {
  const [verb, sub] = args;
  if (verb === 'images' && (sub === 'list' || sub === 'pull')) {
    const config = flags.config ? readKubeadmConfig(flags.config) : { warnings: [] };
    const version = normalizeVersion(config.ClusterConfiguration?.kubernetesVersion ?? flags['kubernetes-version'] ?? kubeadmVersion());
    const list = images(version, config.ClusterConfiguration?.imageRepository ?? flags['image-repository'] ?? 'registry.k8s.io');
    if (sub === 'list') {
      ctx.out(`${list.join('\n')}\n`);
      return 0;
    }
    if (!ctx.isRoot) fail(1, `failed to create new CRI image service: validate service connection: validate CRI v1 image API for endpoint "unix:///var/run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: permission denied"\n${STACK}`);
    const containerd = readUnits()['containerd.service'];
    if (!containerd?.active || !containerd.criEnabled) {
      fail(1, `failed to create new CRI image service: validate service connection: validate CRI v1 image API for endpoint "unix:///var/run/containerd/containerd.sock": rpc error: code = ${containerd?.active ? 'Unimplemented desc = unknown service runtime.v1.ImageService' : 'Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory"'}\n${STACK}`);
    }
    const file = joinPath(DISK_DIR, 'images.json');
    const pulled = readJson(file, []);
    const fresh = list.filter((i) => !pulled.includes(i));
    if (fresh.length > 0) {
      writeJson(file, [...pulled, ...fresh]);
      ctx.mutated();
    }
    for (const image of list) ctx.out(`[config/images] Pulled ${image}\n`);
    return 0;
  }
  if (verb === 'validate') {
    if (!flags.config) fail(1, `missing required flag --config\n${STACK}`);
    const config = readKubeadmConfig(flags.config);
    for (const w of config.warnings) ctx.err(`${w}\n`);
    ctx.out('ok\n');
    return 0;
  }
  if (verb === 'print' && (sub === 'init-defaults' || sub === 'join-defaults')) {
    const v = kubeadmVersion();
    ctx.out(
      sub === 'init-defaults'
        ? `apiVersion: kubeadm.k8s.io/v1beta4\nbootstrapTokens:\n- groups:\n  - system:bootstrappers:kubeadm:default-node-token\n  token: abcdef.0123456789abcdef\n  ttl: 24h0m0s\n  usages:\n  - signing\n  - authentication\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: 1.2.3.4\n  bindPort: 6443\nnodeRegistration:\n  criSocket: unix:///var/run/containerd/containerd.sock\n  imagePullPolicy: IfNotPresent\n  name: node\n  taints: null\n---\napiVersion: kubeadm.k8s.io/v1beta4\ncertificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\nkubernetesVersion: ${v.slice(1, v.lastIndexOf('.'))}.0\nnetworking:\n  dnsDomain: cluster.local\n  serviceSubnet: 10.96.0.0/12\n`
        : `apiVersion: kubeadm.k8s.io/v1beta4\ncaCertPath: /etc/kubernetes/pki/ca.crt\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: kube-apiserver:6443\n    token: abcdef.0123456789abcdef\n    unsafeSkipCAVerification: true\n  tlsBootstrapToken: abcdef.0123456789abcdef\nkind: JoinConfiguration\nnodeRegistration:\n  criSocket: unix:///var/run/containerd/containerd.sock\n  imagePullPolicy: IfNotPresent\n  name: node\n  taints: null\n`,
    );
    return 0;
  }
  fail(1, `the herd lab's kubeadm config supports: images list|pull, validate, print init-defaults|join-defaults`);
}

await simulate(
  'kubeadm',
  (ctx) => {
    const { flags, positionals } = parseArgs(ctx.argv, FLAGS, {
      onUnknown: (flag) => fail(1, `unknown flag: ${flag}\nTo see the stack trace of this error execute with --v=5 or higher`),
      onMissingValue: (flag) => fail(1, `flag needs an argument: ${flag}\n${STACK}`),
    });
    const [command, ...args] = positionals;
    switch (command) {
      case 'init':
        if (args[0] === 'phase') {
          if (args[1] === 'upload-certs') return uploadCerts(ctx, flags);
          fail(1, `the herd lab's kubeadm supports only "init phase upload-certs"`);
        }
        return init(ctx, flags, configFrom(flags, 'InitConfiguration'));
      case 'join': {
        if (flags.config === undefined && args.length === 0 && !flags['discovery-file']) fail(1, `discovery: Invalid value: "": bootstrapToken or file must be set\n${STACK}`);
        if (flags.config !== undefined && args.length > 0) fail(1, `can not mix '--config' with arguments [${args.join(' ')}]\n${STACK}`);
        const config = flags.config !== undefined ? configFrom(flags, 'JoinConfiguration') : joinConfigFromFlags(flags, args[0]);
        return join(ctx, flags, config);
      }
      case 'reset':
        if (args[0] === 'phase') {
          if (args[1] === 'remove-etcd-member') return reset(ctx, flags, 'remove-etcd-member');
          fail(1, `the herd lab's kubeadm supports only "reset phase remove-etcd-member"`);
        }
        return reset(ctx, flags, undefined);
      case 'token':
        return token(ctx, flags, args);
      case 'upgrade':
        return upgrade(ctx, flags, args);
      case 'version':
        return version(ctx, flags);
      case 'config':
        return configCommand(ctx, flags, args);
      case 'certs':
        if (args[0] === 'certificate-key') {
          ctx.out(`${newCertificateKey()}\n`);
          return 0;
        }
        fail(1, `the herd lab's kubeadm supports only "certs certificate-key"`);
        break;
      case undefined:
        ctx.out('kubeadm: easily bootstrap a secure Kubernetes cluster (herd lab simulator)\n');
        return 0;
      default:
        fail(1, `unknown command "${command}" for "kubeadm"\nTo see the stack trace of this error execute with --v=5 or higher`);
    }
    return 0;
  },
);

