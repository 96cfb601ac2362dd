// What every simulated kubectl command shares: global flags, connecting to
// the simulated API, reading manifests, changing the shared cluster.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from './yaml.mjs';
import { parseArgs } from './args.mjs';
import { readCluster, updateCluster } from './cluster.mjs';
import { connect, loadKubeconfig } from './kubeconfig.mjs';
import { fixtureForUrl } from './fetch.mjs';
import { fail } from './sim.mjs';

export const GLOBAL_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
  server: { type: 'string', short: 's' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  token: { type: 'string' },
  v: { type: 'string' },
  'log-flush-frequency': { type: 'string' },
  'warnings-as-errors': { type: 'boolean' },
  'match-server-version': { type: 'boolean' },
  'disable-compression': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'as': { type: 'string' },
  'as-group': { type: 'string', multiple: true },
  'certificate-authority': { type: 'string' },
  'client-certificate': { type: 'string' },
  'client-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
};

/** Parses a subcommand's arguments with the global flags; errors read like kubectl's. */
export function parseCommand(name, argv, flags) {
  return parseArgs(argv, { ...GLOBAL_FLAGS, ...flags }, {
    onUnknown: (flag) =>
      fail(1, flag.startsWith('--') ? `error: unknown flag: ${flag}\nSee 'kubectl ${name} --help' for usage.` : `error: unknown shorthand flag: '${flag.slice(1)}' in ${flag}\nSee 'kubectl ${name} --help' for usage.`),
    onMissingValue: (flag) => fail(1, `error: flag needs an argument: ${flag}\nSee 'kubectl ${name} --help' for usage.`),
  });
}

export class Kube {
  constructor(ctx, flags) {
    this.ctx = ctx;
    this.flags = flags;
  }

  /** Connects to the simulated API (or fails like kubectl) and returns the state it read. */
  connect() {
    const state = readCluster();
    const kubeconfig = loadKubeconfig(this.flags.kubeconfig);
    const { namespace } = connect(state, kubeconfig, this.flags.context);
    this.namespace = this.flags.namespace ?? namespace ?? 'default';
    return state;
  }

  /** The namespace without connecting (client-side commands). */
  localNamespace() {
    return this.flags.namespace ?? 'default';
  }

  /** Changes the shared cluster under its lock; fn returns a result. Marks the call mutating if anything changed. */
  mutate(fn) {
    const { result, changed } = updateCluster((state) => {
      const before = JSON.stringify(state);
      const r = fn(state);
      if (JSON.stringify(state) !== before) state.resourceVersion = (state.resourceVersion ?? 1) + 1;
      return r;
    });
    if (changed) this.ctx.mutated();
    return result;
  }
}

function filesOf(path, recursive) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const full = join(path, name);
      if (statSync(full).isDirectory()) return recursive ? filesOf(full, true) : [];
      return /\.(ya?ml|json)$/.test(name) ? [full] : [];
    });
}

/**
 * Reads -f sources (files, directories, "-" for stdin, URLs of the lab's
 * fixtures) into [{ source, object }]. Fails like kubectl on unreadable or
 * malformed input.
 */
export function readManifests(ctx, sources, recursive = false) {
  if (!sources || sources.length === 0) fail(1, 'error: must specify one of -f and -k');
  const out = [];
  for (const source of sources) {
    const inputs = [];
    if (source === '-') inputs.push({ name: 'STDIN', text: ctx.readStdin() });
    else if (/^https?:\/\//.test(source)) {
      const fixture = fixtureForUrl(source);
      if (fixture.status !== 200) fail(1, `error: unable to read URL "${source}", server reported ${fixture.status} Not Found, status code=${fixture.status}`);
      inputs.push({ name: source, text: fixture.body });
    } else {
      if (!existsSync(source)) fail(1, `error: the path "${source}" does not exist`);
      for (const file of filesOf(source, recursive)) {
        try {
          inputs.push({ name: file, text: readFileSync(file, 'utf8') });
        } catch (err) {
          fail(1, `error: open ${file}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
        }
      }
    }
    for (const { name, text } of inputs) {
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors?.length) fail(1, `error: error parsing ${name}: error converting YAML to JSON: yaml: ${doc.errors[0].message.split('\n')[0]}`);
        const object = doc.toJS();
        if (object === null || object === undefined) continue;
        if (typeof object !== 'object' || Array.isArray(object)) fail(1, `error: error parsing ${name}: json: cannot unmarshal into Go value of type map[string]interface {}`);
        if (object.kind === 'List' || (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items))) {
          for (const item of object.items ?? []) out.push({ source: name, object: item });
        } else out.push({ source: name, object });
      }
    }
  }
  return out;
}
