// Storing API objects in the shared cluster state.
import { createHash, randomUUID } from 'node:crypto';
import { splitApiVersion, storageKey } from './kube.mjs';
import { seal } from './secret-store.mjs';

const SERVER_FIELDS = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];

/**
 * Secrets are kept as digests, never as values: every `data` value becomes
 * "sha256:<hex of the decoded bytes>", and `stringData` is folded into `data`
 * the way the API server does. The values themselves are kept sealed beside
 * the object (sealedSecretValues, secret-store.mjs), for calico-node alone.
 */
export function digestSecret(object) {
  const out = structuredClone(object);
  const data = {};
  for (const [k, v] of Object.entries(object.data ?? {})) {
    data[k] = typeof v === 'string' && v.startsWith('sha256:') ? v : `sha256:${createHash('sha256').update(Buffer.from(String(v), 'base64')).digest('hex')}`;
  }
  for (const [k, v] of Object.entries(object.stringData ?? {})) data[k] = `sha256:${createHash('sha256').update(String(v)).digest('hex')}`;
  out.data = data;
  delete out.stringData;
  out.type ??= 'Opaque';
  return out;
}

/** Each value of a Secret, sealed; digests (a Secret read back and applied again) have no value to keep. */
function sealedSecretValues(object) {
  const sealed = {};
  for (const [k, v] of Object.entries(object.data ?? {})) if (!(typeof v === 'string' && v.startsWith('sha256:'))) sealed[k] = seal(Buffer.from(String(v), 'base64'));
  for (const [k, v] of Object.entries(object.stringData ?? {})) sealed[k] = seal(Buffer.from(String(v)));
  return sealed;
}

/** The object as the client declared it, for comparing two applies. */
function declared(object) {
  const out = structuredClone(object);
  delete out.status;
  if (out.metadata) {
    for (const f of SERVER_FIELDS) delete out.metadata[f];
    if (out.metadata.annotations) {
      delete out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (Object.keys(out.metadata.annotations).length === 0) delete out.metadata.annotations;
    }
    delete out.metadata.namespace;
  }
  return out;
}

function stable(value) {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, stable(value[k])]));
  return value;
}

export function sameContent(a, b) {
  return JSON.stringify(stable(declared(a))) === JSON.stringify(stable(declared(b)));
}

const NODE_FIELDS = ['labels', 'annotations'];

/**
 * A Node object applied to a registered node: its labels and annotations are
 * merged in, and with server-side apply those this manager set before and
 * no longer sends are removed, unless another manager (the kubelet at
 * registration, calico-node) set them too. The rest of a Node is the
 * kubelet's to report.
 */
function applyToNode(node, object, manager) {
  const before = JSON.stringify(NODE_FIELDS.map((f) => node[f] ?? {}));
  node.fieldManagers ??= {};
  const mine = node.fieldManagers[manager] ?? { labels: [], annotations: [] };
  const others = Object.entries(node.fieldManagers).filter(([m]) => m !== manager).map(([, owned]) => owned);
  const owned = {};
  for (const field of NODE_FIELDS) {
    const sent = object.metadata?.[field] ?? {};
    const current = { ...(node[field] ?? {}) };
    if (manager !== undefined) {
      for (const key of mine[field] ?? []) if (!(key in sent) && !others.some((o) => (o[field] ?? []).includes(key))) delete current[key];
    }
    node[field] = { ...current, ...sent };
    owned[field] = Object.keys(sent);
  }
  if (manager !== undefined) node.fieldManagers[manager] = owned;
  return before === JSON.stringify(NODE_FIELDS.map((f) => node[f])) ? 'unchanged' : 'configured';
}

/**
 * Stores an object; returns 'created', 'configured' or 'unchanged'.
 * `manager` is the field manager of a server-side apply.
 */
export function putObject(state, info, object, namespace, { manager } = {}) {
  const now = new Date().toISOString();
  const name = object.metadata.name;
  if (info.kind === 'Node' && info.group === '' && state.nodes[name]) return applyToNode(state.nodes[name], object, manager);
  const ns = info.namespaced ? namespace : '';
  const key = storageKey(info, ns, name);
  const secret = info.kind === 'Secret' && info.group === '';
  const incoming = secret ? digestSecret(object) : structuredClone(object);
  const existing = state.resources[key];
  if (existing && sameContent(existing.object, incoming)) return 'unchanged';
  const metadata = {
    ...incoming.metadata,
    ...(info.namespaced ? { namespace: ns } : {}),
    uid: existing?.object.metadata.uid ?? randomUUID(),
    creationTimestamp: existing?.createdAt ?? now,
    generation: (existing?.object.metadata.generation ?? 0) + 1,
    resourceVersion: String((state.resourceVersion ?? 1) + 1),
  };
  if (!info.namespaced) delete metadata.namespace;
  state.resources[key] = {
    apiVersion: incoming.apiVersion ?? `${info.group ? `${info.group}/` : ''}${info.versions[0]}`,
    kind: info.kind,
    namespace: ns,
    name,
    object: { ...incoming, metadata },
    ...(secret ? { sealed: sealedSecretValues(object) } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return existing ? 'configured' : 'created';
}

export function findStored(state, info, namespace, name) {
  return state.resources[storageKey(info, info.namespaced ? namespace : '', name)];
}

/** Deletes an object and what depends on it (a namespace's objects, a CRD's objects). Returns false if absent. */
export function deleteObject(state, info, namespace, name) {
  const key = storageKey(info, info.namespaced ? namespace : '', name);
  const existing = state.resources[key];
  if (!existing) return false;
  delete state.resources[key];
  if (info.kind === 'Namespace' && info.group === '') {
    for (const [k, r] of Object.entries(state.resources)) if (r.namespace === name) delete state.resources[k];
  }
  if (info.kind === 'CustomResourceDefinition') {
    const group = existing.object.spec?.group;
    const kind = existing.object.spec?.names?.kind;
    for (const [k, r] of Object.entries(state.resources)) {
      if (r.kind === kind && splitApiVersion(r.apiVersion).group === group) delete state.resources[k];
    }
  }
  return true;
}
