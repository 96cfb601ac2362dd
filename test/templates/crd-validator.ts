import { Ajv, type ValidateFunction } from 'ajv';
import ipaddr from 'ipaddr.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

// Validates rendered resources against the CustomResourceDefinitions Calico ships, the way
// `kubectl apply` with strict field validation would: a property the schema does not list is an
// error (a misspelt `peerIp` must fail), except below x-kubernetes-preserve-unknown-fields.

/** CI clones the repository with shared/ beside it. */
export const CALICO_CRD_DIR = resolve(import.meta.dirname, '../../../shared/reference/calico-v3.32.1');

type Schema = { [key: string]: unknown };

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of an OpenAPI v3 schema that rejects unlisted properties. */
export function closeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    // "properties" maps names to schemas: close the schemas, keep the names.
    out[key] = key === 'properties' && isSchema(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, closeSchema(v)])) : closeSchema(value);
  }
  if (isSchema(schema['properties']) && schema['additionalProperties'] === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

/**
 * Go's inline (?i) flag becomes JavaScript's i flag; ajv calls this for every pattern. Calico's
 * patterns put (?i) right after "^", where it covers the whole expression, as the flag does.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp =>
    pattern.includes('(?i)') ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags),
  { code: 'goRegExp' },
);

export interface CrdValidator {
  /** Every problem with one resource, as "<path> <message>"; empty when valid. Throws for a kind no CRD defines. */
  validate(resource: unknown): string[];
  readonly kinds: readonly string[];
}

export function loadCrdValidator(dir: string = CALICO_CRD_DIR): CrdValidator {
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });
  // Integer widths and byte strings are the API server's business; CIDRs are checked for real.
  for (const format of ['int32', 'int64', 'byte', 'date-time']) ajv.addFormat(format, true);
  ajv.addFormat('cidr', (text: string) => ipaddr.isValidCIDR(text));
  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const crd = parse(readFileSync(join(dir, file), 'utf8')) as {
      spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
    };
    for (const version of crd.spec.versions) {
      validators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(closeSchema(version.schema.openAPIV3Schema) as object));
    }
  }
  return {
    kinds: [...validators.keys()].sort(),
    validate(resource: unknown): string[] {
      const { apiVersion, kind } = resource as { apiVersion?: string; kind?: string };
      // The Calico API server stores a projectcalico.org/v3 object as crd.projectcalico.org/v1 with the
      // same spec; Calico ships no v3 CRD for the kinds only it serves (CalicoNodeStatus).
      const validate = validators.get(`${apiVersion} ${kind}`) ?? (apiVersion === 'projectcalico.org/v3' ? validators.get(`crd.projectcalico.org/v1 ${kind}`) : undefined);
      if (validate === undefined) throw new Error(`no CRD in ${dir} defines ${apiVersion} ${kind}`);
      if (validate(resource)) return [];
      return (validate.errors ?? []).map((e) => {
        const extra = e.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"` : '';
        return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
      });
    },
  };
}
