// kubeadm configuration files: parsed and checked the way kubeadm does, in the
// config API its minor reads (herd's table of versions: kubeadm.k8s.io/v1beta4
// for 1.31–1.37) plus the kubelet and kube-proxy component configs.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { installed, readStatus } from './dpkg.mjs';
import { fail } from './sim.mjs';
import { kubernetesMinor } from './versions.mjs';

export const KUBEADM_GROUP = 'kubeadm.k8s.io';
const KNOWN = {
  'kubeadm.k8s.io/v1beta4': {
    InitConfiguration: ['apiVersion', 'kind', 'bootstrapTokens', 'nodeRegistration', 'localAPIEndpoint', 'certificateKey', 'skipPhases', 'patches', 'timeouts', 'dryRun'],
    ClusterConfiguration: [
      'apiVersion', 'kind', 'etcd', 'networking', 'kubernetesVersion', 'controlPlaneEndpoint', 'apiServer', 'controllerManager', 'scheduler', 'dns', 'proxy',
      'certificatesDir', 'imageRepository', 'featureGates', 'clusterName', 'encryptionAlgorithm', 'certificateValidityPeriod', 'caCertificateValidityPeriod',
    ],
    JoinConfiguration: ['apiVersion', 'kind', 'dryRun', 'nodeRegistration', 'caCertPath', 'discovery', 'controlPlane', 'skipPhases', 'patches', 'timeouts'],
    ResetConfiguration: ['apiVersion', 'kind', 'cleanupTmpDir', 'certificatesDir', 'criSocket', 'dryRun', 'force', 'ignorePreflightErrors', 'skipPhases', 'unmountFlags'],
    UpgradeConfiguration: ['apiVersion', 'kind', 'apply', 'node', 'plan', 'diff', 'timeouts'],
  },
  'kubelet.config.k8s.io/v1beta1': { KubeletConfiguration: null },
  'kubeproxy.config.k8s.io/v1alpha1': { KubeProxyConfiguration: null },
};
const OLD_KUBEADM = { v1beta1: 'v1.21', v1beta2: 'v1.21', v1beta3: 'v1.33' };

/** Reads and checks a --config file; returns { InitConfiguration?, ClusterConfiguration?, …, warnings[] }. */
export function readKubeadmConfig(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(1, `unable to read config from "${path}" : open ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message}\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  return parseKubeadmConfig(text);
}

export function parseKubeadmConfig(text) {
  const out = { warnings: [] };
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors?.length) {
      const e = doc.errors[0];
      fail(1, `error converting YAML to JSON: yaml: line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}\nTo see the stack trace of this error execute with --v=5 or higher`);
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    if (typeof object !== 'object' || Array.isArray(object)) fail(1, `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${Array.isArray(object) ? 'array' : typeof object} into Go value of type struct`);
    if (!object.kind) fail(1, `Object 'Kind' is missing in '${JSON.stringify(object)}'`);
    if (!object.apiVersion) fail(1, `Object 'apiVersion' is missing in '${JSON.stringify(object)}'`);
    const [group, version] = object.apiVersion.split('/');
    if (group === KUBEADM_GROUP && OLD_KUBEADM[version]) {
      fail(
        1,
        `your configuration file uses an old API spec: "${object.apiVersion}" (kind: "${object.kind}"). Please use kubeadm ${OLD_KUBEADM[version]} instead and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.`,
      );
    }
    const kubeadm = installed(readStatus(), 'kubeadm');
    const api = kubeadm && kubernetesMinor(kubeadm.version)?.kubeadmApi;
    const kinds = group === KUBEADM_GROUP && api !== undefined && object.apiVersion !== api ? undefined : KNOWN[object.apiVersion];
    if (!kinds) {
      if ([KUBEADM_GROUP, 'kubelet.config.k8s.io', 'kubeproxy.config.k8s.io'].includes(group)) {
        fail(1, `no kind "${object.kind}" is registered for version "${object.apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`);
      }
      out.warnings.push(`[config] WARNING: Ignored configuration document with GroupVersionKind ${object.apiVersion}, Kind=${object.kind}`);
      continue;
    }
    if (!(object.kind in kinds)) fail(1, `no kind "${object.kind}" is registered for version "${object.apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`);
    if (out[object.kind]) fail(1, `invalid configuration: kind "${object.kind}" is specified twice in YAML file`);
    const fields = kinds[object.kind];
    for (const key of Object.keys(object)) {
      if (fields && !fields.includes(key)) {
        out.warnings.push(`W0000 00:00:00.000000       1 strict.go:55] error unmarshaling configuration schema.GroupVersionKind{Group:"${group}", Version:"${version}", Kind:"${object.kind}"}: strict decoding error: unknown field "${key}"`);
      }
    }
    out[object.kind] = object;
  }
  validate(out);
  return out;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function validate(config) {
  const problems = [];
  const cc = config.ClusterConfiguration;
  if (cc) {
    if (cc.kubernetesVersion !== undefined && !VERSION.test(String(cc.kubernetesVersion))) problems.push(`kubernetesVersion: Invalid value: "${cc.kubernetesVersion}": unable to parse version`);
    for (const key of ['podSubnet', 'serviceSubnet']) {
      const value = cc.networking?.[key];
      if (value !== undefined && !String(value).split(',').every((c) => CIDR.test(c.trim()))) problems.push(`networking.${key}: Invalid value: "${value}": couldn't parse subnet`);
    }
    if (cc.controlPlaneEndpoint !== undefined && !/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(String(cc.controlPlaneEndpoint))) {
      problems.push(`controlPlaneEndpoint: Invalid value: "${cc.controlPlaneEndpoint}": invalid address`);
    }
  }
  const join = config.JoinConfiguration;
  if (join) {
    const bt = join.discovery?.bootstrapToken;
    if (!bt && !join.discovery?.file) problems.push('discovery: Invalid value: "": bootstrapToken or file must be set');
    if (bt && !bt.apiServerEndpoint) problems.push('discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the apiServerEndpoint must be set');
  }
  for (const token of config.InitConfiguration?.bootstrapTokens ?? []) {
    if (token.token !== undefined && !TOKEN.test(String(token.token))) problems.push('bootstrapTokens[0].token: Invalid value: "<redacted>": the bootstrap token is not of the form "[a-z0-9]{6}.[a-z0-9]{16}"');
  }
  if (problems.length > 0) fail(1, `${problems.map((p) => `${p}`).join('\n')}\nTo see the stack trace of this error execute with --v=5 or higher`);
}

export const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** kubeletExtraArgs in v1beta4 is a list of { name, value }; v1beta3 had a map. Returns a map. */
export function extraArgs(list) {
  if (!list) return {};
  if (Array.isArray(list)) return Object.fromEntries(list.map((a) => [a.name, String(a.value ?? '')]));
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, String(v)]));
}

/** "v1.34.2" from "1.34.2", "v1.34.2" or "1.34.2-1.1". */
export function normalizeVersion(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(v));
  return m ? `v${m[1]}.${m[2]}.${m[3]}` : undefined;
}

export function minorOf(v) {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : NaN;
}

export function compareSemver(a, b) {
  const pa = a.slice(1).split('.').map(Number);
  const pb = b.slice(1).split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return Math.sign(pa[i] - pb[i]);
  return 0;
}

/** What kubeadm fills in for a KubeletConfiguration. */
export function kubeletDefaults(cluster) {
  const dnsIp = serviceIp(cluster.serviceSubnet, 10);
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    authentication: { anonymous: { enabled: false }, webhook: { cacheTTL: '0s', enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [dnsIp],
    clusterDomain: cluster.dnsDomain,
    containerRuntimeEndpoint: '',
    cpuManagerReconcilePeriod: '0s',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    kind: 'KubeletConfiguration',
    logging: { flushFrequency: 0, options: { json: { infoBufferSize: '0' }, text: { infoBufferSize: '0' } }, verbosity: 0 },
    rotateCertificates: true,
    runtimeRequestTimeout: '0s',
    staticPodPath: '/etc/kubernetes/manifests',
    syncFrequency: '0s',
  };
}

function serviceIp(subnet, offset) {
  const [base] = String(subnet).split('/');
  const parts = base.split('.').map(Number);
  parts[3] += offset;
  return parts.join('.');
}
