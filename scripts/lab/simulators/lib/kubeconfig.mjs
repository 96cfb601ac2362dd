// kubeconfig files: where kubectl finds one, what it points at, and writing
// the ones kubeadm creates.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { parse, stringify } from './yaml.mjs';
import { fail } from './sim.mjs';
import { endpointState, splitHostPort } from './kube.mjs';

/**
 * The kubeconfig kubectl would use: --kubeconfig, else $KUBECONFIG (first
 * existing file of the list), else ~/.kube/config. Returns { path, config }
 * or undefined when there is none (kubectl then talks to localhost:8080).
 */
export function loadKubeconfig(flagPath) {
  let path = flagPath;
  if (path !== undefined && !existsSync(path)) fail(1, `error: stat ${path}: no such file or directory`);
  if (path === undefined && process.env.KUBECONFIG) path = process.env.KUBECONFIG.split(':').find((p) => p && existsSync(p));
  if (path === undefined) {
    const home = process.env.HOME || homedir();
    if (existsSync(`${home}/.kube/config`)) path = `${home}/.kube/config`;
  }
  if (path === undefined) return undefined;
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(1, `error: error loading config file "${path}": open ${path}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
  }
  let config;
  try {
    config = parse(text) ?? {};
  } catch (err) {
    fail(1, `error: error loading config file "${path}": yaml: ${err.message.split('\n')[0]}`);
  }
  return { path, config };
}

/** The cluster entry of the current (or given) context: { server, caData, insecure, namespace }. */
export function currentCluster(config, contextName) {
  const name = contextName ?? config['current-context'];
  const context = (config.contexts ?? []).find((c) => c.name === name)?.context;
  if (!context) return undefined;
  const cluster = (config.clusters ?? []).find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) return undefined;
  return { server: cluster.server, caData: cluster['certificate-authority-data'], caFile: cluster['certificate-authority'], insecure: cluster['insecure-skip-tls-verify'] === true, namespace: context.namespace };
}

/**
 * Connects the way kubectl would: fails like kubectl when there is no
 * kubeconfig, the server refuses, the CA does not match, or etcd has lost
 * quorum. Returns { server, namespace }.
 */
export function connect(state, kubeconfig, contextName) {
  if (!kubeconfig) fail(1, 'The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  const cluster = currentCluster(kubeconfig.config, contextName);
  if (!cluster?.server) {
    fail(1, 'error: invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  }
  const url = new URL(cluster.server);
  const { host, port } = splitHostPort(url.host, url.protocol === 'https:' ? 443 : 80);
  const where = `${host}:${port}`;
  const reach = endpointState(state, host, port);
  if (reach === 'refused') fail(1, `The connection to the server ${where} was refused - did you specify the right host or port?`);
  if (!cluster.insecure) {
    const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile && existsSync(cluster.caFile) ? readFileSync(cluster.caFile, 'utf8') : undefined;
    if (ca?.trim() !== state.cluster.caCertPem.trim()) {
      fail(1, `Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority`);
    }
  }
  if (reach === 'no-quorum') fail(1, 'Error from server: etcdserver: request timed out');
  return { server: cluster.server, namespace: cluster.namespace };
}

const PLACEHOLDER = (what) => Buffer.from(`herd lab: simulated ${what}, not a real credential\n`).toString('base64');

/** A kubeconfig as kubeadm writes it (admin.conf, kubelet.conf, …). */
export function renderKubeconfig({ server, caPem, user, clusterName = 'kubernetes' }) {
  const context = `${user}@${clusterName}`;
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server }, name: clusterName }],
    contexts: [{ context: { cluster: clusterName, user }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: { 'client-certificate-data': PLACEHOLDER('client certificate'), 'client-key-data': PLACEHOLDER('client key') } }],
  });
}
