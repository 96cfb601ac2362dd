// kubectl apply, create, replace, delete.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Kube, parseCommand, readManifests } from './kubectl-common.mjs';
import { getObject, kindFor, namespaceNames, pluralName, resolveType, resourceName } from './kube.mjs';
import { deleteObject, findStored, putObject } from './objects.mjs';
import { OVERSIZED_CRDS } from './manifests.mjs';
import { parseOutput, render, toYaml } from './printers.mjs';
import { fail } from './sim.mjs';
import { unknownType } from './kubectl-get.mjs';
import { releaseBlocks } from './ipam.mjs';

const WRITE_FLAGS = {
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  output: { type: 'string', short: 'o' },
  'dry-run': { type: 'string' },
  'server-side': { type: 'boolean' },
  'force-conflicts': { type: 'boolean' },
  'field-manager': { type: 'string' },
  validate: { type: 'string' },
  'save-config': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  prune: { type: 'boolean' },
  force: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'grace-period': { type: 'string' },
  'ignore-not-found': { type: 'boolean' },
  now: { type: 'boolean' },
  all: { type: 'boolean' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  selector: { type: 'string', short: 'l' },
  cascade: { type: 'string' },
  'show-managed-fields': { type: 'boolean' },
  'from-file': { type: 'string', multiple: true },
  'from-literal': { type: 'string', multiple: true },
  'from-env-file': { type: 'string', multiple: true },
  type: { type: 'string' },
  'append-hash': { type: 'boolean' },
};

function dryRunMode(flags) {
  const mode = flags['dry-run'];
  if (mode === undefined || mode === 'none' || mode === 'false') return undefined;
  if (mode === 'client' || mode === 'server' || mode === 'true') return mode === 'true' ? 'client' : mode;
  fail(1, `error: Invalid dry-run value (${mode}). Must be "none", "server", or "client".`);
}

function suffix(dryRun) {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** Checks a manifest object the way kubectl's client-side validation does; returns its mapping. */
function mapping(state, source, object) {
  const missing = [];
  if (!object.apiVersion) missing.push('apiVersion not set');
  if (!object.kind) missing.push('kind not set');
  if (missing.length > 0) fail(1, `error: error validating "${source}": error validating data: [${missing.join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`);
  return kindFor(state, object.apiVersion, object.kind);
}

function namespaceFor(kube, info, object, source) {
  if (!info.namespaced) return '';
  const own = object.metadata?.namespace;
  if (own && kube.flags.namespace && own !== kube.flags.namespace) {
    fail(1, `error: the namespace from the provided object "${own}" does not match the namespace "${kube.flags.namespace}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own ?? kube.namespace;
}

/** apply | create | replace of -f manifests. */
export function write(ctx, verb, argv) {
  const { flags, positionals } = parseCommand(verb, argv, WRITE_FLAGS);
  const kube = new Kube(ctx, flags);
  const dryRun = dryRunMode(flags);
  if (verb === 'create' && positionals.length > 0) return createNamed(ctx, kube, flags, positionals, dryRun);
  const manifests = readManifests(ctx, flags.filename, flags.recursive);
  const state = kube.connect();
  // Mappings come from the API as it was when the command started: a CRD and its first object in one file fail like this.
  const planned = manifests.map(({ source, object }) => ({ source, object, info: mapping(state, source, object) }));
  const output = flags.output ? parseOutput(flags.output) : undefined;
  let code = 0;
  const lines = [];
  const printed = [];
  kube.mutate((live) => {
    const namespaces = new Set(namespaceNames(live));
    for (const { source, object, info } of planned) {
      const name = object.metadata?.name;
      if (!info) {
        ctx.err(`error: resource mapping not found for name: "${name}" namespace: "${object.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"\nensure CRDs are installed first\n`);
        code = 1;
        continue;
      }
      if (!name) {
        ctx.err(`error: error when retrieving current configuration of:\nResource: "${pluralName(info)}", GroupVersionKind: "${object.apiVersion}, Kind=${object.kind}"\nName: "", Namespace: ""\nfrom server for: "${source}": resource name may not be empty\n`);
        code = 1;
        continue;
      }
      const namespace = namespaceFor(kube, info, object, source);
      if (info.namespaced && !namespaces.has(namespace)) {
        ctx.err(`Error from server (NotFound): error when creating "${source}": namespaces "${namespace}" not found\n`);
        code = 1;
        continue;
      }
      const id = `${resourceName(info)}/${name}`;
      const exists = Boolean(findStored(live, info, namespace, name));
      if (verb === 'create' && exists) {
        ctx.err(`Error from server (AlreadyExists): error when creating "${source}": ${pluralName(info)} "${name}" already exists\n`);
        code = 1;
        continue;
      }
      if (verb === 'replace' && !exists) {
        ctx.err(`Error from server (NotFound): error when replacing "${source}": ${pluralName(info)} "${name}" not found\n`);
        code = 1;
        continue;
      }
      if (verb === 'apply' && !flags['server-side'] && info.kind === 'CustomResourceDefinition' && OVERSIZED_CRDS.has(name)) {
        ctx.err(`The CustomResourceDefinition "${name}" is invalid: metadata.annotations: Too long: must have at most 262144 bytes\n`);
        code = 1;
        continue;
      }
      let result = exists ? 'configured' : 'created';
      if (!dryRun) {
        result = putObject(live, info, object, namespace, flags['server-side'] ? { manager: flags['field-manager'] ?? 'kubectl' } : {});
        if (info.kind === 'Namespace' && info.group === '') namespaces.add(name);
      }
      const shown = verb === 'create' ? 'created' : verb === 'replace' ? 'replaced' : flags['server-side'] ? 'serverside-applied' : result;
      lines.push(`${id} ${shown}${suffix(dryRun)}`);
      printed.push({ info, object: getObject(live, info, namespace, name) ?? object });
    }
  });
  if (output) ctx.out(render(printed.map((p) => ({ info: p.info, objects: [p.object] })), output, {}, printed.length === 1));
  else for (const line of lines) ctx.out(`${line}\n`);
  return code;
}

/** kubectl create secret generic | configmap | namespace NAME … */
function createNamed(ctx, kube, flags, positionals, dryRun) {
  const [what, ...rest] = positionals;
  let object;
  if (what === 'namespace' || what === 'ns') {
    const [name] = rest;
    if (!name) fail(1, 'error: exactly one NAME is required, got 0');
    object = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, creationTimestamp: null }, spec: {}, status: {} };
  } else if ((what === 'secret' && rest[0] === 'generic') || what === 'configmap' || what === 'cm') {
    const name = what === 'secret' ? rest[1] : rest[0];
    if (!name) fail(1, 'error: exactly one NAME is required, got 0');
    const secret = what === 'secret';
    const data = {};
    for (const literal of flags['from-literal'] ?? []) {
      const eq = literal.indexOf('=');
      if (eq <= 0) fail(1, `error: invalid literal source ${literal.split('=')[0]}, expected key=value`);
      data[literal.slice(0, eq)] = Buffer.from(literal.slice(eq + 1));
    }
    for (const spec of flags['from-file'] ?? []) {
      const eq = spec.indexOf('=');
      const key = eq === -1 ? basename(spec) : spec.slice(0, eq);
      const path = eq === -1 ? spec : spec.slice(eq + 1);
      try {
        data[key] = readFileSync(path);
      } catch {
        fail(1, `error: error reading ${path}: no such file or directory`);
      }
    }
    const namespace = kube.flags.namespace;
    object = secret
      ? { apiVersion: 'v1', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('base64')])), kind: 'Secret', metadata: { creationTimestamp: null, name, ...(namespace ? { namespace } : {}) }, ...(flags.type ? { type: flags.type } : {}) }
      : { apiVersion: 'v1', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('utf8')])), kind: 'ConfigMap', metadata: { creationTimestamp: null, name, ...(namespace ? { namespace } : {}) } };
  } else {
    fail(1, `error: unknown command "${what}" for "kubectl create"`);
  }
  if (dryRun === 'client') {
    const output = parseOutput(flags.output ?? 'name');
    if (output.kind === 'yaml') ctx.out(toYaml(object));
    else if (output.kind === 'json') ctx.out(`${JSON.stringify(object, null, 4)}\n`);
    else ctx.out(`${object.kind.toLowerCase()}/${object.metadata.name} created (dry run)\n`);
    return 0;
  }
  const state = kube.connect();
  const info = kindFor(state, 'v1', object.kind);
  const namespace = info.namespaced ? kube.namespace : '';
  let failed = false;
  kube.mutate((live) => {
    if (info.namespaced && !namespaceNames(live).includes(namespace)) {
      failed = `error: failed to create ${object.kind.toLowerCase()}: namespaces "${namespace}" not found`;
      return;
    }
    if (findStored(live, info, namespace, object.metadata.name) || (info.kind === 'Namespace' && namespaceNames(live).includes(object.metadata.name))) {
      failed = info.kind === 'Namespace' ? `Error from server (AlreadyExists): namespaces "${object.metadata.name}" already exists` : `error: failed to create ${object.kind.toLowerCase()} ${pluralName(info)} "${object.metadata.name}" already exists`;
      return;
    }
    const clean = structuredClone(object);
    delete clean.metadata.creationTimestamp;
    delete clean.status;
    if (!dryRun) putObject(live, info, clean, namespace);
  });
  if (failed) fail(1, failed);
  ctx.out(`${object.kind.toLowerCase()}/${object.metadata.name} created${suffix(dryRun)}\n`);
  return 0;
}

export function del(ctx, argv) {
  const { flags, positionals } = parseCommand('delete', argv, WRITE_FLAGS);
  const kube = new Kube(ctx, flags);
  const dryRun = dryRunMode(flags);
  const targets = [];
  let state;
  if (flags.filename) {
    const manifests = readManifests(ctx, flags.filename, flags.recursive);
    state = kube.connect();
    for (const { source, object } of manifests) {
      const info = mapping(state, source, object);
      if (!info) {
        ctx.err(`error: resource mapping not found for name: "${object.metadata?.name}" namespace: "" from "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"\nensure CRDs are installed first\n`);
        continue;
      }
      targets.push({ info, name: object.metadata?.name, namespace: namespaceFor(kube, info, object, source), source });
    }
  } else {
    state = kube.connect();
    if (positionals.length === 0) fail(1, 'error: You must provide one or more resources by argument or filename.');
    if (positionals[0].includes('/')) {
      for (const p of positionals) {
        const [type, name] = p.split('/');
        targets.push({ info: resolveType(state, type) ?? unknownType(type), name, namespace: kube.namespace });
      }
    } else {
      const info = resolveType(state, positionals[0]) ?? unknownType(positionals[0]);
      if (positionals.length === 1 && !flags.all) fail(1, 'error: resource(s) were provided, but no name was specified');
      for (const name of positionals.slice(1)) targets.push({ info, name, namespace: kube.namespace });
    }
  }
  let code = 0;
  const lines = [];
  kube.mutate((live) => {
    for (const { info, name, namespace, source } of targets) {
      let found;
      if (info.kind === 'Node' && info.group === '') {
        found = name in live.nodes;
        if (found && !dryRun) {
          delete live.nodes[name];
          delete live.calicoNodes?.[name];
          releaseBlocks(live, name);
        }
      } else {
        found = Boolean(findStored(live, info, namespace, name)) || Boolean(getObject(live, info, namespace, name));
        if (found && !dryRun) deleteObject(live, info, namespace, name);
      }
      if (!found) {
        if (!flags['ignore-not-found']) {
          ctx.err(`Error from server (NotFound): ${source ? `error when deleting "${source}": ` : ''}${pluralName(info)} "${name}" not found\n`);
          code = 1;
        }
        continue;
      }
      lines.push(`${resourceName(info)} "${name}" deleted${suffix(dryRun)}`);
    }
  });
  for (const line of lines) ctx.out(`${line}\n`);
  return code;
}
