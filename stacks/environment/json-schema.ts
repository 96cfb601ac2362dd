import { z } from 'zod';
import { environmentSchema } from './schema.ts';

type JsonSchema = { [key: string]: unknown };

/**
 * The environment file's JSON Schema, for editors (`# yaml-language-server: $schema=...`).
 * It describes the input side, and lists no required fields, because a file that
 * `extends` another may leave anything to its base; `herd validate` checks the
 * merged result, and the cross-field rules that JSON Schema cannot express.
 */
export function environmentJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return { ...withoutRequired(schema) as JsonSchema, title: 'herd environment' };
}

function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => k !== 'required' || !Array.isArray(v))
      .map(([k, v]) => [k, withoutRequired(v)]),
  );
}

interface ReferenceRow {
  readonly path: string;
  readonly type: string;
  readonly detail: string;
}

/** The README's field reference, generated from the schema so that the two cannot drift apart. */
export function environmentReference(): string {
  const rows: ReferenceRow[] = [];
  walk(z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '', rows);
  const escape = (s: string): string => s.replaceAll('|', '\\|');
  return [
    '| field | type | default and meaning |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| \`${r.path}\` | ${escape(r.type)} | ${escape(r.detail)} |`),
  ].join('\n');
}

function walk(schema: JsonSchema, path: string, rows: ReferenceRow[]): void {
  const properties = schema['properties'] as Record<string, JsonSchema> | undefined;
  const variants = (schema['oneOf'] ?? schema['anyOf']) as JsonSchema[] | undefined;
  if (properties) {
    for (const [key, child] of Object.entries(properties)) {
      if (key === '$schema') continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      rows.push({ path: childPath, type: typeName(child), detail: detail(child) });
      walk(child, childPath, rows);
    }
  } else if (schema['type'] === 'array' && schema['items']) {
    walk(schema['items'] as JsonSchema, `${path}[]`, rows);
  } else if (variants) {
    for (const variant of variants) {
      const tag = (variant['properties'] as Record<string, JsonSchema> | undefined)?.['type']?.['const'];
      walk(variant, tag === undefined ? path : `${path}{type=${String(tag)}}`, rows);
    }
  } else if (schema['additionalProperties'] && typeof schema['additionalProperties'] === 'object') {
    walk(schema['additionalProperties'] as JsonSchema, `${path}.<name>`, rows);
  }
}

function typeName(schema: JsonSchema): string {
  if (schema['const'] !== undefined) return JSON.stringify(schema['const']);
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).map((v) => JSON.stringify(v)).join(' or ');
  const variants = (schema['oneOf'] ?? schema['anyOf']) as JsonSchema[] | undefined;
  if (variants) {
    const tags = variants.map((v) => (v['properties'] as Record<string, JsonSchema> | undefined)?.['type']?.['const']);
    return tags.every((t) => t !== undefined) ? `mapping with type ${tags.map((t) => JSON.stringify(t)).join(' or ')}` : variants.map(typeName).join(' or ');
  }
  if (schema['type'] === 'array') return `list of ${typeName((schema['items'] as JsonSchema | undefined) ?? {})}`;
  if (schema['type'] === 'object') return schema['properties'] ? 'mapping' : `mapping of ${typeName((schema['additionalProperties'] as JsonSchema | undefined) ?? {})}`;
  return typeof schema['type'] === 'string' ? schema['type'] : 'any';
}

function detail(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema['default'] !== undefined && typeof schema['default'] !== 'object') parts.push(`default \`${String(schema['default'])}\``);
  if (typeof schema['description'] === 'string') parts.push(schema['description']);
  return parts.join('; ');
}
