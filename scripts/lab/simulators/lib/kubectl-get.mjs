// kubectl get (and --raw).
import { Kube, parseCommand, readManifests } from './kubectl-common.mjs';
import { getObject, kindFor, listObjects, pluralName, resolveType } from './kube.mjs';
import { matchesLabelSelector, parseOutput, render } from './printers.mjs';
import { selectPath } from './jsonpath.mjs';
import { fail } from './sim.mjs';

const FLAGS = {
  output: { type: 'string', short: 'o' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  'no-headers': { type: 'boolean' },
  'show-labels': { type: 'boolean' },
  'show-kind': { type: 'boolean' },
  'label-columns': { type: 'string', short: 'L', multiple: true },
  'ignore-not-found': { type: 'boolean' },
  'sort-by': { type: 'string' },
  raw: { type: 'string' },
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  watch: { type: 'boolean', short: 'w' },
  'chunk-size': { type: 'string' },
  'output-watch-events': { type: 'boolean' },
  'server-print': { type: 'boolean' },
  'show-managed-fields': { type: 'boolean' },
  subresource: { type: 'string' },
};

const ALL = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'jobs', 'cronjobs'];

export function unknownType(type) {
  fail(1, `error: the server doesn't have a resource type "${type}"`);
}

function rawGet(kube, path) {
  const state = kube.connect();
  const p = path.split('?')[0];
  if (['/healthz', '/livez', '/readyz'].includes(p)) {
    if (path.includes('verbose')) return `[+]ping ok\n[+]log ok\n[+]etcd ok\n${p.slice(1)} check passed\n`;
    return 'ok';
  }
  if (p === '/version') {
    const v = state.cluster.kubernetesVersion;
    const [major, minor] = v.slice(1).split('.');
    return `${JSON.stringify({ major, minor, emulationMajor: major, emulationMinor: minor, gitVersion: v, goVersion: 'go1.24.9', compiler: 'gc', platform: 'linux/amd64' }, null, 2)}\n`;
  }
  fail(1, 'Error from server (NotFound): the server could not find the requested resource');
}

function fieldMatches(selector, object) {
  if (!selector) return true;
  return selector.split(',').every((part) => {
    const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(part.trim());
    if (!m) fail(1, `error: invalid field selector "${part}"`);
    const value = selectPath(`.${m[1].replace(/^\./, '')}`, object)[0];
    const equal = String(value ?? '') === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}

export function get(ctx, argv) {
  const { flags, positionals } = parseCommand('get', argv, FLAGS);
  const kube = new Kube(ctx, flags);
  if (flags.raw !== undefined) {
    ctx.out(rawGet(kube, flags.raw));
    return 0;
  }
  if (flags.watch) fail(1, 'error: --watch is not supported in the herd lab');
  const output = parseOutput(flags.output);
  const state = kube.connect();
  const namespace = flags['all-namespaces'] ? null : kube.namespace;

  /** [{ type, names[] }] from "nodes", "nodes a b", "node/a pod/b", "nodes,pods". */
  const requests = [];
  if (flags.filename) {
    for (const { object } of readManifests(ctx, flags.filename, flags.recursive)) {
      const info = kindFor(state, object.apiVersion ?? '', object.kind ?? '');
      if (!info) fail(1, `error: resource mapping not found for name: "${object.metadata?.name}" namespace: "" from "": no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
      requests.push({ info, names: [object.metadata?.name], namespace: object.metadata?.namespace ?? namespace });
    }
  } else {
    if (positionals.length === 0) {
      fail(1, "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples");
    }
    if (positionals[0].includes('/')) {
      for (const p of positionals) {
        const [type, name] = p.split('/');
        if (!name) fail(1, `error: arguments in resource/name form must have a single resource and name`);
        const info = resolveType(state, type) ?? unknownType(type);
        requests.push({ info, names: [name], namespace });
      }
    } else {
      const types = positionals[0].split(',').flatMap((t) => (t === 'all' ? ALL : [t]));
      for (const type of types) {
        const info = resolveType(state, type) ?? unknownType(type);
        requests.push({ info, names: positionals.slice(1), namespace });
      }
    }
  }

  let code = 0;
  const groups = [];
  let single = false;
  for (const { info, names, namespace: ns } of requests) {
    const inNs = info.namespaced ? ns : null;
    let objects;
    if (names.length > 0) {
      objects = [];
      for (const name of names) {
        const object = getObject(state, info, inNs ?? kube.namespace, name);
        if (object) objects.push(object);
        else if (!flags['ignore-not-found']) {
          ctx.err(`Error from server (NotFound): ${pluralName(info)} "${name}" not found\n`);
          code = 1;
        }
      }
      single = requests.length === 1 && names.length === 1 && objects.length === 1;
    } else {
      objects = listObjects(state, info, inNs).filter((o) => matchesLabelSelector(flags.selector, o.metadata.labels ?? {}) && fieldMatches(flags['field-selector'], o));
    }
    if (flags['sort-by']) {
      objects.sort((a, b) => String(selectPath(flags['sort-by'], a)[0] ?? '').localeCompare(String(selectPath(flags['sort-by'], b)[0] ?? ''), undefined, { numeric: true }));
    }
    groups.push({ info, objects });
  }
  const total = groups.reduce((n, g) => n + g.objects.length, 0);
  if (total === 0 && code === 0 && requests.every((r) => r.names.length === 0)) {
    if (output.kind === 'table' || output.kind === 'wide') {
      const namespaced = requests.some((r) => r.info.namespaced);
      ctx.err(namespaced && namespace !== null ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
      return 0;
    }
  }
  if (total === 0 && names0(requests) && output.kind !== 'json' && output.kind !== 'yaml') return code;
  ctx.out(
    render(
      groups,
      output,
      { noHeaders: flags['no-headers'], showLabels: flags['show-labels'], showKind: flags['show-kind'], labelColumns: (flags['label-columns'] ?? []).flatMap((l) => l.split(',')), allNamespaces: namespace === null },
      single,
    ),
  );
  return code;
}

function names0(requests) {
  return requests.some((r) => r.names.length > 0);
}
