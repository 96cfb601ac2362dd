import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { environmentSchema, type EnvironmentSpec } from './schema.ts';
import { crossFieldIssues } from './checks.ts';
import { ConfigError, formatPath, type ConfigIssue } from './errors.ts';
import { allowedKeysAt } from './schema-walk.ts';

/** A validated environment: the operator's file with every default filled in. */
export interface Environment {
  readonly name: string;
  /** Absolute path of the environment file. */
  readonly file: string;
  readonly spec: EnvironmentSpec;
}

export const DEFAULT_ENVIRONMENTS_DIR = resolve(import.meta.dirname, '../environments');

/** Files whose names start with "_" are shared bases for `extends`, not environments. */
export function listEnvironments(dir: string = DEFAULT_ENVIRONMENTS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_'))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}

export function environmentFile(name: string, dir: string = DEFAULT_ENVIRONMENTS_DIR): string {
  return join(dir, `${name}.yaml`);
}

export function loadEnvironmentByName(name: string, dir: string = DEFAULT_ENVIRONMENTS_DIR): Environment {
  return loadEnvironment(environmentFile(name, dir));
}

interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Loads, merges `extends`, validates and cross-checks one environment file; throws ConfigError with every issue found. */
export function loadEnvironment(path: string): Environment {
  const file = resolve(path);
  const name = basename(file).replace(/\.ya?ml$/, '');
  const chain: ParsedFile[] = [];
  const raw = readChain(file, chain);
  const issues: ConfigIssue[] = [];
  const locate = (p: readonly PropertyKey[], message: string): ConfigIssue => locateIssue(chain, p, message);

  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
    issues.push({ file, path: '', message: `the file name "${name}" is the environment name and must be a DNS label of at most 32 characters (lower-case letters, digits, "-")` });
  }
  issues.push(...literalSecretIssues(raw, []).map(([p, m]) => locate(p, m)));

  const result = environmentSchema.safeParse(raw);
  if (!result.success) {
    issues.push(...result.error.issues.flatMap((issue) => zodIssueToConfigIssues(issue, raw, locate)));
    throw new ConfigError(issues);
  }
  issues.push(...crossFieldIssues(name, result.data).map(({ path: p, message }) => locate(p, message)));
  if (issues.length > 0) throw new ConfigError(issues);
  return { name, file, spec: result.data };
}

/**
 * A problem found after loading (herd preflight, against vCenter), located in
 * the environment's files the way loading locates its own.
 */
export function locateInEnvironment(env: Environment, path: readonly PropertyKey[], message: string): ConfigIssue {
  const chain: ParsedFile[] = [];
  readChain(env.file, chain);
  return locateIssue(chain, path, message);
}

function readChain(file: string, chain: ParsedFile[]): unknown {
  const from = chain.at(-1);
  const extendsIssue = (message: string): ConfigIssue => (from ? locateIssue([from], ['extends'], message) : { file, path: '', message });
  if (chain.some((c) => c.file === file)) {
    throw new ConfigError([extendsIssue(`extends forms a cycle: ${[...chain.map((c) => c.file), file].join(' → ')}`)]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([extendsIssue(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file, path: '', line: lines.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    );
  }
  const value: unknown = doc.toJS() ?? {};
  chain.push({ file, doc, lines });
  if (!isPlainObject(value)) {
    throw new ConfigError([{ file, path: '', message: 'the file must hold a YAML mapping (key: value pairs)' }]);
  }
  if (value['extends'] === undefined) return value;
  if (typeof value['extends'] !== 'string') {
    throw new ConfigError([{ file, path: 'extends', message: 'must be a relative path to another environment file' }]);
  }
  const base = readChain(resolve(dirname(file), value['extends']), chain);
  const { extends: _ignored, ...own } = value;
  return deepMerge(base, own);
}

/**
 * Mappings merge key by key; lists and scalars in the extending file replace the
 * base's; `null` removes the base's value. A mapping whose `type` changes (say
 * infrastructure from vsphere to static) replaces the base's whole mapping, since
 * the base's fields belong to the other type.
 */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  if ('type' in over && over['type'] !== base['type']) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in base ? deepMerge(base[k], v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SECRET_KEY = /^(password|passwd|secret|token|passphrase|apikey|privatekey)$|(Password|Secret|Token|Passphrase)$/i;

/** Secrets may only be named (`passwordFrom: { env: NAME }`); a literal value would land in git and in Terraform state. */
function literalSecretIssues(value: unknown, path: PropertyKey[]): Array<[PropertyKey[], string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalSecretIssues(v, [...path, i]));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]): Array<[PropertyKey[], string]> => {
    if (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number')) {
      return [[[...path, k], `a literal secret is not allowed in an environment file; name an environment variable instead, e.g. ${k}From: { env: MY_${k.toUpperCase()} }`]];
    }
    return literalSecretIssues(v, [...path, k]);
  });
}

function zodIssueToConfigIssues(
  issue: z.core.$ZodIssue,
  raw: unknown,
  locate: (p: readonly PropertyKey[], m: string) => ConfigIssue,
): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(environmentSchema, raw, issue.path);
    return issue.keys
      .filter((key) => !SECRET_KEY.test(key))
      .map((key) => locate([...issue.path, key], `unknown field "${key}"${suggest(key, allowed)}; allowed here: ${allowed.join(', ')}`));
  }
  if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) {
    return [locate(issue.path, `is required (${issue.expected})`)];
  }
  return [locate(issue.path, issue.message)];
}

function suggest(key: string, allowed: readonly string[]): string {
  const close = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
  return close ? ` (did you mean "${close}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Finds the line of the deepest node on the path that exists, preferring the extending file over its bases. */
function locateIssue(chain: readonly ParsedFile[], path: readonly PropertyKey[], message: string): ConfigIssue {
  const keys = path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  for (let depth = keys.length; depth >= 0; depth--) {
    for (const { file, doc, lines } of chain) {
      const node: unknown = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
      const offset = (node as YamlNode | undefined)?.range?.[0];
      if (offset !== undefined) return { file, path: formatPath(path), line: lines.linePos(offset).line, message };
    }
  }
  return { file: chain[0]!.file, path: formatPath(path), message };
}
