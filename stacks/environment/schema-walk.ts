import { z } from 'zod';

// Zod reports where a value failed but not what the schema wanted there (the allowed keys of a
// mapping, the fields a missing mapping needs), so messages walk the schema alongside the data;
// the data picks the branch of a discriminated union.

/** The schema of the field at `path`, as declared (defaults and descriptions still attached). */
export function schemaAt(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  let d: unknown = data;
  for (const key of path) {
    const inner = unwrap(s, d);
    if (inner instanceof z.ZodObject) s = inner.shape[key as string] as z.ZodType | undefined;
    else if (inner instanceof z.ZodArray) s = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) s = inner.valueType as z.ZodType;
    else return undefined;
    d = d !== null && typeof d === 'object' ? (d as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return s;
}

/** The field names a strict object accepts at `path`, for "unknown field" messages. */
export function allowedKeysAt(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  const s = unwrap(schemaAt(schema, data, path), valueAt(data, path));
  return s instanceof z.ZodObject ? Object.keys(s.shape).filter((k) => !k.startsWith('$')) : [];
}

/** The keys a mapping must have (no default, not optional). */
export function requiredKeys(schema: z.ZodType | undefined, data: unknown): string[] {
  const s = unwrap(schema, data);
  if (!(s instanceof z.ZodObject)) return [];
  return Object.entries(s.shape as Record<string, z.ZodType>)
    .filter(([, field]) => !(field instanceof z.ZodOptional || field instanceof z.ZodDefault))
    .map(([key]) => key);
}

export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

export function unwrap(schema: z.ZodType | undefined, data: unknown): z.ZodType | undefined {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDiscriminatedUnion) s = pickOption(s, data);
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => unwrap(o, data) instanceof z.ZodObject);
    else return s;
  }
}

export function pickOption(union: z.ZodDiscriminatedUnion, data: unknown): z.ZodType | undefined {
  const discriminator = union.def.discriminator;
  const value = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[discriminator] : undefined;
  return (union.options as z.ZodType[]).find((o) => {
    const shape = o instanceof z.ZodObject ? o.shape : undefined;
    const literal = shape?.[discriminator];
    return literal instanceof z.ZodLiteral && literal.values.has(value as never);
  });
}
