import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { environmentSchema, type EnvironmentSpec } from './schema.ts';
import { crossFieldIssues } from './checks.ts';
import { ConfigError, formatPath, type ConfigIssue } from './errors.ts';
import { allowedKeysAt, requiredKeys, schemaAt, valueAt } from './schema-walk.ts';
import { didYouMean, herdError, invisibleHint, visible, withoutInvisible, yamlReadingHint } from './messages.ts';
import { RejectedPaths, parseWhatParses } from './partial.ts';
import { duplicateKeys, lineAt, parseSource, sourceTextAt, type SourceFile } from './yaml-source.ts';
import { versionWarnings } from '../versions/environment-rules.ts';
import { today } from '../versions/today.ts';

/** A validated environment: the operator's file with every default filled in. */
export interface Environment {
  readonly name: string;
  /** Absolute path of the environment file. */
  readonly file: string;
  readonly spec: EnvironmentSpec;
  /** What works but should change soon (a version past its end of life), located like errors; never fatal. */
  readonly warnings: readonly ConfigIssue[];
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

/** Loads, merges `extends`, validates and cross-checks one environment file; throws ConfigError with every issue found. */
export function loadEnvironment(path: string): Environment {
  const file = resolve(path);
  const name = basename(file).replace(/\.ya?ml$/, '');
  const chain: SourceFile[] = [];
  const raw = readChain(file, chain);
  const issues: ConfigIssue[] = [];
  const rejected = new RejectedPaths();
  const locate = (p: readonly PropertyKey[], message: string): ConfigIssue => locateIssue(chain, p, message);

  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
    issues.push({ file, path: '', message: `the file name "${name}" is the environment name and must be a DNS label of at most 32 characters (lower-case letters, digits, "-")` });
  }
  for (const source of chain) {
    for (const duplicate of duplicateKeys(source)) {
      issues.push(duplicate.issue);
      rejected.add(duplicate.path);
    }
  }
  issues.push(...literalSecretIssues(raw, []).map(([p, m]) => locate(p, m)));

  const result = environmentSchema.safeParse(raw, { error: herdError });
  let spec: EnvironmentSpec;
  if (result.success) spec = result.data;
  else {
    for (const issue of result.error.issues) {
      issues.push(...zodIssueToConfigIssues(issue, raw, chain, locate));
      if (issue.code !== 'unrecognized_keys') rejected.add(issue.path);
    }
    // The parts that parsed, with their defaults: the cross-field checks see rejected values as unreadable.
    spec = parseWhatParses(environmentSchema, raw, rejected) as EnvironmentSpec;
  }
  issues.push(...crossFieldIssues(name, rejected.guard(spec), !result.success).map(({ path: p, message }) => locate(p, message)));
  if (issues.length > 0) throw new ConfigError(issues);
  const warnings = versionWarnings(spec, today()).map(({ path: p, message }) => locate(p, message));
  return { name, file, spec, warnings };
}

/**
 * A problem found after loading (herd preflight, against vCenter), located in
 * the environment's files the way loading locates its own.
 */
export function locateInEnvironment(env: Environment, path: readonly PropertyKey[], message: string): ConfigIssue {
  const chain: SourceFile[] = [];
  readChain(env.file, chain);
  return locateIssue(chain, path, message);
}

function readChain(file: string, chain: SourceFile[]): unknown {
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
  const source = parseSource(file, text);
  if (Array.isArray(source)) throw new ConfigError(source);
  const value: unknown = source.doc.toJS() ?? {};
  chain.push(source);
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
  chain: readonly SourceFile[],
  locate: (p: readonly PropertyKey[], m: string) => ConfigIssue,
): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(environmentSchema, raw, issue.path);
    return issue.keys
      .filter((key) => !SECRET_KEY.test(key))
      .map((key) => {
        const meant = withoutInvisible(key);
        const message =
          meant !== key && allowed.includes(meant)
            ? `unknown field "${visible(key)}"${invisibleHint(key)}`
            : `unknown field "${visible(key)}"${didYouMean(meant, allowed)}; allowed here: ${allowed.join(', ')}`;
        return locate([...issue.path, key], message);
      });
  }
  const value = valueAt(raw, issue.path);
  if (issue.code === 'invalid_type' && value === undefined) return [locate(issue.path, requiredMessage(raw, issue.path, issue.message))];
  const lastKey = issue.path.at(-1);
  const hint =
    typeof value === 'string'
      ? invisibleHint(value)
      : typeof lastKey === 'string' && invisibleHint(lastKey) !== ''
        ? invisibleHint(lastKey)
        : yamlReadingHint(value, sourceText(chain, issue.path), issue.message.startsWith('must be text,'));
  return [locate(issue.path, `${issue.message}${hint}`)];
}

/** "is required", with what the missing mapping needs or what the field is for. */
function requiredMessage(raw: unknown, path: readonly PropertyKey[], fallback: string): string {
  const field = schemaAt(environmentSchema, raw, path);
  const needs = requiredKeys(field, undefined);
  if (needs.length > 0) return `is required: a mapping with at least ${needs.join(', ')}`;
  const why = field?.description?.replace(/^required: /, '');
  return why === undefined ? fallback : `is required (${why})`;
}

function sourceText(chain: readonly SourceFile[], path: readonly PropertyKey[]): string | undefined {
  const steps = path.map((k) => (typeof k === 'number' ? k : String(k)));
  for (const source of chain) {
    const text = sourceTextAt(source, steps);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Finds the line of the deepest part of the path that exists (a field's key line), preferring the extending file over its bases. */
function locateIssue(chain: readonly SourceFile[], path: readonly PropertyKey[], message: string): ConfigIssue {
  const steps = path.map((k) => (typeof k === 'number' ? k : String(k)));
  for (let depth = steps.length; depth >= 0; depth--) {
    for (const source of chain) {
      const line = lineAt(source, steps.slice(0, depth));
      if (line !== undefined) return { file: source.file, path: formatPath(path), line, message };
    }
  }
  return { file: chain[0]!.file, path: formatPath(path), message };
}
