// kubectl wait, rollout status, exec (etcdctl in etcd pods), version, cluster-info, config, api-resources.
import { parseDuration } from './args.mjs';
import { readCluster } from './cluster.mjs';
import { Kube, parseCommand, readManifests } from './kubectl-common.mjs';
import { apiEndpoint, getObject, kindFor, kubeletRunning, listObjects, pluralName, resolveType, resourceName, servedKinds } from './kube.mjs';
import { loadKubeconfig } from './kubeconfig.mjs';
import { formatTable, matchesLabelSelector, parseOutput, render, toYaml } from './printers.mjs';
import { selectPath } from './jsonpath.mjs';
import { sleepSync } from './files.mjs';
import { fail } from './sim.mjs';
import { unknownType } from './kubectl-get.mjs';
import { etcdctl } from './etcdctl.mjs';

const WAIT_FLAGS = {
  for: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  all: { type: 'boolean' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
  revision: { type: 'string' },
  local: { type: 'boolean' },
};

function timeoutMs(text, fallback) {
  if (text === undefined) return fallback;
  if (text.startsWith('-')) return 7 * 24 * 3_600_000;
  const ms = parseDuration(text);
  if (ms === undefined) fail(1, `error: invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  return ms;
}

function parseFor(spec) {
  if (!spec) fail(1, 'error: --for must be specified');
  if (spec === 'delete' || spec === 'create') return { kind: spec };
  let m;
  if ((m = /^condition=([^=]+)(?:=(.*))?$/i.exec(spec))) return { kind: 'condition', type: m[1], value: m[2] ?? 'True' };
  if ((m = /^jsonpath=(\{.*\})(?:=(.*))?$/.exec(spec)) || (m = /^jsonpath=([^=]+)(?:=(.*))?$/.exec(spec))) return { kind: 'jsonpath', path: m[1].replace(/^'|'$/g, ''), value: m[2] };
  fail(1, `error: unrecognized condition: "${spec}"`);
}

function met(condition, object) {
  if (condition.kind === 'delete') return object === undefined;
  if (!object) return false;
  if (condition.kind === 'create') return true;
  if (condition.kind === 'condition') {
    const found = (object.status?.conditions ?? []).find((c) => c.type.toLowerCase() === condition.type.toLowerCase());
    return found !== undefined && String(found.status).toLowerCase() === condition.value.toLowerCase();
  }
  const values = selectPath(condition.path, object);
  return condition.value === undefined ? values.length > 0 : values.some((v) => String(v) === condition.value);
}

export function wait(ctx, argv) {
  const { flags, positionals } = parseCommand('wait', argv, WAIT_FLAGS);
  const kube = new Kube(ctx, flags);
  const condition = parseFor(flags.for?.[0]);
  const limit = timeoutMs(flags.timeout, 30_000);
  let state = kube.connect();
  const namespace = flags['all-namespaces'] ? null : kube.namespace;
  let targets;
  if (flags.filename) {
    targets = readManifests(ctx, flags.filename, flags.recursive).map(({ object }) => ({ info: kindFor(state, object.apiVersion, object.kind), name: object.metadata?.name, namespace: object.metadata?.namespace ?? kube.namespace }));
  } else {
    if (positionals.length === 0) fail(1, 'error: resource(s) were provided, but no name was specified');
    const [typeArg, ...names] = positionals;
    const [type, oneName] = typeArg.split('/');
    const info = resolveType(state, type) ?? unknownType(type);
    if (oneName) targets = positionals.map((p) => ({ info: resolveType(state, p.split('/')[0]) ?? unknownType(p.split('/')[0]), name: p.split('/')[1], namespace: kube.namespace }));
    else if (names.length > 0) targets = names.map((name) => ({ info, name, namespace: kube.namespace }));
    else {
      if (!flags.all && !flags.selector) fail(1, 'error: resource(s) were provided, but no name was specified');
      targets = listObjects(state, info, info.namespaced ? namespace : null)
        .filter((o) => matchesLabelSelector(flags.selector, o.metadata.labels ?? {}))
        .map((o) => ({ info, name: o.metadata.name, namespace: o.metadata.namespace ?? kube.namespace }));
      if (targets.length === 0) fail(1, 'error: no matching resources found');
    }
  }
  const deadline = Date.now() + limit;
  const pending = [...targets];
  for (const t of pending) {
    if (condition.kind !== 'create' && condition.kind !== 'delete' && !getObject(state, t.info, t.namespace, t.name)) {
      fail(1, `Error from server (NotFound): ${pluralName(t.info)} "${t.name}" not found`);
    }
  }
  for (;;) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const t = pending[i];
      if (met(condition, getObject(state, t.info, t.namespace, t.name))) {
        ctx.out(`${resourceName(t.info)}/${t.name} condition met\n`);
        pending.splice(i, 1);
      }
    }
    if (pending.length === 0) return 0;
    if (Date.now() >= deadline) {
      const t = pending[pending.length - 1];
      fail(1, `error: timed out waiting for the condition on ${t.info.plural}/${t.name}`);
    }
    sleepSync(Math.min(250, Math.max(1, deadline - Date.now())));
    state = readCluster();
  }
}

export function rollout(ctx, argv) {
  const { flags, positionals } = parseCommand('rollout', argv, WAIT_FLAGS);
  const [sub, target, maybeName] = positionals;
  if (sub !== 'status') fail(1, `error: the herd lab's kubectl rollout supports only "status"`);
  const kube = new Kube(ctx, flags);
  let state = kube.connect();
  const [type, name] = target?.includes('/') ? target.split('/') : [target, maybeName];
  const info = resolveType(state, type ?? '') ?? unknownType(type);
  const deadline = Date.now() + timeoutMs(flags.timeout, 7 * 24 * 3_600_000);
  for (;;) {
    const object = getObject(state, info, kube.namespace, name);
    if (!object) fail(1, `Error from server (NotFound): ${pluralName(info)} "${name}" not found`);
    const s = object.status ?? {};
    if (info.kind === 'DaemonSet' && s.numberReady === s.desiredNumberScheduled) {
      ctx.out(`daemon set "${name}" successfully rolled out\n`);
      return 0;
    }
    if (info.kind === 'Deployment' && (s.availableReplicas ?? 0) >= (object.spec?.replicas ?? 1)) {
      ctx.out(`deployment "${name}" successfully rolled out\n`);
      return 0;
    }
    if (info.kind !== 'DaemonSet' && info.kind !== 'Deployment') fail(1, `error: no status viewer has been implemented for ${info.kind}`);
    if (Date.now() >= deadline) fail(1, 'error: timed out waiting for the condition');
    sleepSync(250);
    state = readCluster();
  }
}

export function exec(ctx, argv) {
  const dash = argv.indexOf('--');
  if (dash === -1) fail(1, 'error: you must specify at least one command for the container');
  const { flags, positionals } = parseCommand('exec', argv.slice(0, dash), {
    stdin: { type: 'boolean', short: 'i' },
    tty: { type: 'boolean', short: 't' },
    container: { type: 'string', short: 'c' },
    quiet: { type: 'boolean', short: 'q' },
  });
  const command = argv.slice(dash + 1);
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const podName = (positionals[0] ?? '').replace(/^pods?\//, '');
  const pod = getObject(state, resolveType(state, 'pods'), kube.namespace, podName);
  if (!pod) fail(1, `Error from server (NotFound): pods "${podName}" not found`);
  const node = state.nodes[pod.spec.nodeName];
  if (!kubeletRunning(state, node.host)) fail(1, `error: unable to upgrade connection: container not found ("${podName.split('-')[0]}")`);
  if (!podName.startsWith('etcd-') || kube.namespace !== 'kube-system') {
    fail(1, `error: the herd lab runs no containers; kubectl exec supports only etcdctl in kube-system/etcd-<node>`);
  }
  if (command[0] !== 'etcdctl') fail(126, `error: Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": executable file not found in $PATH: unknown\ncommand terminated with exit code 126`);
  return etcdctl(ctx, kube, command.slice(1));
}

export function version(ctx, argv) {
  const { flags } = parseCommand('version', argv, { client: { type: 'boolean' }, output: { type: 'string', short: 'o' }, short: { type: 'boolean' } });
  const client = ctx.clientVersion;
  const kustomize = 'v5.7.1';
  const info = { clientVersion: versionInfo(client), kustomizeVersion: kustomize };
  let server;
  if (!flags.client) {
    const kube = new Kube(ctx, flags);
    try {
      server = kube.connect().cluster.kubernetesVersion;
    } catch (err) {
      ctx.out(`Client Version: ${client}\nKustomize Version: ${kustomize}\n`);
      throw err;
    }
    info.serverVersion = versionInfo(server);
  }
  if (flags.output === 'json') ctx.out(`${JSON.stringify(info, null, 2)}\n`);
  else if (flags.output === 'yaml') ctx.out(toYaml(info));
  else ctx.out(`Client Version: ${client}\nKustomize Version: ${kustomize}\n${server ? `Server Version: ${server}\n` : ''}`);
  return 0;
}

export function versionInfo(v) {
  const [major, minor] = v.slice(1).split('.');
  return { major, minor, gitVersion: v, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2025-11-11T00:00:00Z', goVersion: 'go1.24.9', compiler: 'gc', platform: 'linux/amd64' };
}

export function clusterInfo(ctx, argv) {
  const { flags } = parseCommand('cluster-info', argv, {});
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const url = `https://${apiEndpoint(state)}`;
  ctx.out(`Kubernetes control plane is running at ${url}\nCoreDNS is running at ${url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`);
  return 0;
}

export function config(ctx, argv) {
  const { flags, positionals } = parseCommand('config', argv, { raw: { type: 'boolean' }, minify: { type: 'boolean' }, flatten: { type: 'boolean' }, output: { type: 'string', short: 'o' } });
  const [sub] = positionals;
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const config = structuredClone(kubeconfig?.config ?? { apiVersion: 'v1', clusters: null, contexts: null, 'current-context': '', kind: 'Config', preferences: {}, users: null });
  switch (sub) {
    case 'current-context':
      if (!config['current-context']) fail(1, 'error: current-context is not set');
      ctx.out(`${config['current-context']}\n`);
      return 0;
    case 'view': {
      if (flags.minify && config['current-context']) {
        const context = (config.contexts ?? []).find((c) => c.name === config['current-context']);
        config.contexts = context ? [context] : [];
        config.clusters = (config.clusters ?? []).filter((c) => c.name === context?.context.cluster);
        config.users = (config.users ?? []).filter((u) => u.name === context?.context.user);
      }
      if (!flags.raw) {
        for (const c of config.clusters ?? []) if (c.cluster?.['certificate-authority-data']) c.cluster['certificate-authority-data'] = 'DATA+OMITTED';
        for (const u of config.users ?? []) {
          if (u.user?.['client-certificate-data']) u.user['client-certificate-data'] = 'DATA+OMITTED';
          if (u.user?.['client-key-data']) u.user['client-key-data'] = 'DATA+OMITTED';
          if (u.user?.token) u.user.token = 'REDACTED';
        }
      }
      const output = parseOutput(flags.output ?? 'yaml');
      ctx.out(output.kind === 'yaml' ? toYaml(config) : render([{ info: { kind: 'Config' }, objects: [config] }], output, {}, true));
      return 0;
    }
    case 'get-contexts': {
      const rows = (config.contexts ?? []).map((c) => [c.name === config['current-context'] ? '*' : '', c.name, c.context.cluster, c.context.user, c.context.namespace ?? '']);
      ctx.out(formatTable(['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'], rows));
      return 0;
    }
    default:
      fail(1, `error: the herd lab's kubectl config supports view, current-context and get-contexts`);
  }
  return 0;
}

export function apiResources(ctx, argv) {
  const { flags } = parseCommand('api-resources', argv, { output: { type: 'string', short: 'o' }, namespaced: { type: 'string' }, 'api-group': { type: 'string' }, 'no-headers': { type: 'boolean' }, verbs: { type: 'string' }, cached: { type: 'boolean' } });
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const kinds = servedKinds(state).filter((k) => flags['api-group'] === undefined || k.group === flags['api-group']);
  if (flags.output === 'name') {
    for (const k of kinds) ctx.out(`${k.group ? `${k.plural}.${k.group}` : k.plural}\n`);
    return 0;
  }
  const rows = kinds.map((k) => [k.plural, k.shortNames.join(','), `${k.group ? `${k.group}/` : ''}${k.versions[0]}`, String(k.namespaced), k.kind]);
  ctx.out(formatTable(flags['no-headers'] ? null : ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows));
  return 0;
}

