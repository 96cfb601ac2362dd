// kubectl cordon, uncordon, drain, label, annotate, taint, patch.
import { Kube, parseCommand } from './kubectl-common.mjs';
import { getObject, listObjects, pluralName, resolveType, resourceName } from './kube.mjs';
import { findStored } from './objects.mjs';
import { matchesLabelSelector } from './printers.mjs';
import { fail } from './sim.mjs';
import { unknownType } from './kubectl-get.mjs';

const FLAGS = {
  'ignore-daemonsets': { type: 'boolean' },
  'delete-emptydir-data': { type: 'boolean' },
  'delete-local-data': { type: 'boolean' },
  force: { type: 'boolean' },
  'grace-period': { type: 'string' },
  timeout: { type: 'string' },
  'disable-eviction': { type: 'boolean' },
  'skip-wait-for-delete-timeout': { type: 'string' },
  'pod-selector': { type: 'string' },
  selector: { type: 'string', short: 'l' },
  'dry-run': { type: 'string' },
  overwrite: { type: 'boolean' },
  all: { type: 'boolean' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  patch: { type: 'string', short: 'p' },
  'patch-file': { type: 'string' },
  type: { type: 'string' },
  'field-manager': { type: 'string' },
  list: { type: 'boolean' },
  'resource-version': { type: 'string' },
  local: { type: 'boolean' },
  subresource: { type: 'string' },
  'chunk-size': { type: 'string' },
};

function nodeNames(state, kube, positionals) {
  if (kube.flags.selector) return Object.values(state.nodes).filter((n) => matchesLabelSelector(kube.flags.selector, n.labels)).map((n) => n.name);
  const names = positionals.map((p) => p.replace(/^(nodes?|no)\//, ''));
  for (const name of names) if (!(name in state.nodes)) fail(1, `Error from server (NotFound): nodes "${name}" not found`);
  return names;
}

export function cordon(ctx, verb, argv) {
  const { flags, positionals } = parseCommand(verb, argv, FLAGS);
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const names = nodeNames(state, kube, positionals);
  if (names.length === 0) fail(1, `error: USAGE: ${verb} NODE [flags]\nSee 'kubectl ${verb} -h' for help and examples`);
  const wanted = verb !== 'uncordon';
  const lines = kube.mutate((live) =>
    names.map((name) => {
      const node = live.nodes[name];
      if (Boolean(node.unschedulable) === wanted) return `node/${name} already ${wanted ? 'cordoned' : 'uncordoned'}`;
      node.unschedulable = wanted;
      if (wanted) node.cordonedAt = new Date().toISOString();
      else delete node.cordonedAt;
      return `node/${name} ${wanted ? 'cordoned' : 'uncordoned'}`;
    }),
  );
  for (const line of lines) ctx.out(`${line}\n`);
  if (verb !== 'drain') return 0;
  // The pods that would be evicted: the lab runs none of its own but DaemonSet and static pods, which drain refuses or skips.
  const pods = listObjects(kube.connect(), resolveType(state, 'pods'), null).filter((p) => names.includes(p.spec.nodeName));
  const daemon = pods.filter((p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet').map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  if (daemon.length > 0 && !flags['ignore-daemonsets']) {
    const why = `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemon.join(', ')}`;
    fail(1, `error: unable to drain node "${names[0]}" due to error: ${why}, continuing command...\nThere are pending nodes to be drained:\n ${names.join('\n ')}\n${why}`);
  }
  if (daemon.length > 0) ctx.err(`Warning: ignoring DaemonSet-managed Pods: ${daemon.join(', ')}\n`);
  const evicted = pods.filter((p) => p.metadata.name.startsWith('coredns-'));
  for (const pod of evicted) ctx.out(`evicting pod ${pod.metadata.namespace}/${pod.metadata.name}\n`);
  for (const pod of evicted) ctx.out(`pod/${pod.metadata.name} evicted\n`);
  for (const name of names) ctx.out(`node/${name} drained\n`);
  return 0;
}

function parseAssignments(args, allowRemove) {
  return args.map((arg) => {
    if (allowRemove && arg.endsWith('-')) return { key: arg.slice(0, -1), remove: true };
    const eq = arg.indexOf('=');
    if (eq <= 0) fail(1, `error: at least one label update is required`);
    return { key: arg.slice(0, eq), value: arg.slice(eq + 1) };
  });
}

/** label and annotate: on nodes (kept in the node records) or on stored objects. */
export function labelOrAnnotate(ctx, verb, argv) {
  const { flags, positionals } = parseCommand(verb, argv, FLAGS);
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const [typeArg, ...rest] = positionals;
  if (!typeArg) fail(1, `error: one or more resources must be specified as <resource> <name> or <resource>/<name>`);
  let type = typeArg;
  let names;
  let assignments;
  if (typeArg.includes('/')) {
    [type] = typeArg.split('/');
    names = [typeArg.split('/')[1]];
    assignments = parseAssignments(rest, true);
  } else {
    const split = rest.findIndex((a) => a.includes('=') || a.endsWith('-'));
    names = split === -1 ? rest : rest.slice(0, split);
    assignments = parseAssignments(split === -1 ? [] : rest.slice(split), true);
  }
  if (assignments.length === 0) fail(1, `error: at least one ${verb === 'label' ? 'label' : 'annotation'} update is required`);
  const info = resolveType(state, type) ?? unknownType(type);
  const field = verb === 'label' ? 'labels' : 'annotations';
  const lines = kube.mutate((live) => {
    const out = [];
    const targets = flags.all ? listObjects(live, info, kube.namespace).map((o) => o.metadata.name) : names;
    for (const name of targets) {
      let holder;
      if (info.kind === 'Node' && info.group === '') holder = live.nodes[name];
      else holder = findStored(live, info, kube.namespace, name)?.object.metadata;
      if (!holder) {
        if (getObject(live, info, kube.namespace, name)) fail(1, `error: the herd lab cannot ${verb} ${resourceName(info)} "${name}", which the simulated cluster manages itself`);
        fail(1, `Error from server (NotFound): ${pluralName(info)} "${name}" not found`);
      }
      holder[field] ??= {};
      let changed = false;
      for (const { key, value, remove } of assignments) {
        if (remove) {
          if (key in holder[field]) {
            delete holder[field][key];
            changed = true;
          }
          continue;
        }
        if (key in holder[field] && holder[field][key] !== value && !flags.overwrite) {
          fail(1, `error: ${verb === 'label' ? "'" + key + "' already has a value (" + holder[field][key] + '), and --overwrite is false' : `--overwrite is false but found the following declared annotation(s): '${key}' already has a value (${holder[field][key]})`}`);
        }
        if (holder[field][key] !== value) {
          holder[field][key] = value;
          changed = true;
        }
      }
      out.push(`${resourceName(info)}/${name} ${changed ? (verb === 'label' ? 'labeled' : 'annotated') : verb === 'label' ? 'not labeled' : 'annotated'}`);
    }
    return out;
  });
  for (const line of lines) ctx.out(`${line}\n`);
  return 0;
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function taint(ctx, argv) {
  const { flags, positionals } = parseCommand('taint', argv, FLAGS);
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const [type, ...rest] = positionals;
  if (!type || !/^(nodes?|no)$/.test(type.split('/')[0])) fail(1, 'error: at least one taint update is required');
  const names = type.includes('/') ? [type.split('/')[1]] : rest.filter((a) => !a.includes(':') && !a.includes('=') && !a.endsWith('-'));
  const specs = (type.includes('/') ? rest : rest.slice(names.length)).map((spec) => {
    const remove = spec.endsWith('-');
    const body = remove ? spec.slice(0, -1) : spec;
    const m = /^([^=:]+)(?:=([^:]*))?(?::(\w+))?$/.exec(body);
    if (!m || (!remove && !m[3]) || (m[3] && !EFFECTS.includes(m[3]))) fail(1, `error: invalid taint spec: ${spec}, unknown taint effect`);
    return { key: m[1], value: m[2], effect: m[3], remove };
  });
  if (specs.length === 0) fail(1, 'error: at least one taint update is required');
  for (const name of names) if (!(name in state.nodes)) fail(1, `Error from server (NotFound): nodes "${name}" not found`);
  const lines = kube.mutate((live) =>
    names.map((name) => {
      const node = live.nodes[name];
      let tainted = false;
      let untainted = false;
      for (const s of specs) {
        if (s.remove) {
          const before = node.taints.length;
          node.taints = node.taints.filter((t) => !(t.key === s.key && (!s.effect || t.effect === s.effect)));
          if (node.taints.length === before) fail(1, `error: taint "${s.key}${s.effect ? `:${s.effect}` : ''}" not found`);
          untainted = true;
          continue;
        }
        const same = node.taints.find((t) => t.key === s.key && t.effect === s.effect);
        if (same && !flags.overwrite) fail(1, `error: node ${name} already has ${s.key} taint(s) with same effect(s) and --overwrite is false`);
        node.taints = node.taints.filter((t) => t !== same);
        node.taints.push({ key: s.key, ...(s.value ? { value: s.value } : {}), effect: s.effect });
        tainted = true;
      }
      return `node/${name} ${tainted && untainted ? 'modified' : tainted ? 'tainted' : 'untainted'}`;
    }),
  );
  for (const line of lines) ctx.out(`${line}\n`);
  return 0;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, replace, remove. */
function jsonPatch(target, ops) {
  const out = structuredClone(target);
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop();
    let parent = out;
    for (const p of parts) parent = parent?.[Array.isArray(parent) ? Number(p) : p];
    if (parent === undefined) fail(1, `The request is invalid: the server rejected our request due to an error in our request`);
    if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (Array.isArray(parent) && last === '-') parent.push(op.value);
    else if (Array.isArray(parent) && op.op === 'add') parent.splice(Number(last), 0, op.value);
    else parent[Array.isArray(parent) ? Number(last) : last] = op.value;
  }
  return out;
}

export function patch(ctx, argv) {
  const { flags, positionals } = parseCommand('patch', argv, FLAGS);
  const kube = new Kube(ctx, flags);
  const state = kube.connect();
  const [first, second] = positionals;
  const [type, name] = first?.includes('/') ? first.split('/') : [first, second];
  if (!type || !name) fail(1, 'error: must specify --patch or --patch-file containing the contents of the patch');
  if (flags.patch === undefined) fail(1, 'error: must specify --patch or --patch-file containing the contents of the patch');
  let body;
  try {
    body = JSON.parse(flags.patch);
  } catch {
    fail(1, `error: unable to parse "${flags.patch}": yaml: did not find expected node content`);
  }
  const info = resolveType(state, type) ?? unknownType(type);
  const kind = flags.type ?? 'strategic';
  const result = kube.mutate((live) => {
    if (info.kind === 'Node' && info.group === '') {
      const node = live.nodes[name];
      if (!node) fail(1, `Error from server (NotFound): nodes "${name}" not found`);
      const view = { metadata: { labels: node.labels, annotations: node.annotations ?? {} }, spec: { taints: node.taints, unschedulable: Boolean(node.unschedulable) } };
      const next = kind === 'json' ? jsonPatch(view, body) : mergePatch(view, body);
      const before = JSON.stringify([node.labels, node.annotations ?? {}, node.taints, Boolean(node.unschedulable)]);
      node.labels = next.metadata?.labels ?? {};
      node.annotations = next.metadata?.annotations ?? {};
      node.taints = next.spec?.taints ?? [];
      node.unschedulable = Boolean(next.spec?.unschedulable);
      return before === JSON.stringify([node.labels, node.annotations, node.taints, node.unschedulable]) ? 'patched (no change)' : 'patched';
    }
    const stored = findStored(live, info, kube.namespace, name);
    if (!stored) fail(1, `Error from server (NotFound): ${pluralName(info)} "${name}" not found`);
    const next = kind === 'json' ? jsonPatch(stored.object, body) : mergePatch(stored.object, body);
    if (JSON.stringify(next) === JSON.stringify(stored.object)) return 'patched (no change)';
    stored.object = next;
    stored.updatedAt = new Date().toISOString();
    return 'patched';
  });
  ctx.out(`${resourceName(info)}/${name} ${result}\n`);
  return 0;
}
