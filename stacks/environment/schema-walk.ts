import { z } from 'zod';

/**
 * The field names a strict object accepts at `path`, for "unknown field" messages.
 * Zod reports the unknown keys but not the allowed ones, so the schema is walked
 * alongside the data (the data picks the branch of a discriminated union).
 */
export function allowedKeysAt(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  let d: unknown = data;
  for (const key of [...path, undefined]) {
    s = unwrap(s, d);
    if (key === undefined) break;
    if (s instanceof z.ZodObject) s = s.shape[key as string] as z.ZodType | undefined;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
    d = d !== null && typeof d === 'object' ? (d as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape).filter((k) => !k.startsWith('$')) : [];
}

function unwrap(schema: z.ZodType | undefined, data: unknown): z.ZodType | undefined {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDiscriminatedUnion) s = pickOption(s, data);
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => unwrap(o, data) instanceof z.ZodObject);
    else return s;
  }
}

function pickOption(union: z.ZodDiscriminatedUnion, data: unknown): z.ZodType | undefined {
  const discriminator = union.def.discriminator;
  const value = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[discriminator] : undefined;
  return (union.options as z.ZodType[]).find((o) => {
    const shape = o instanceof z.ZodObject ? o.shape : undefined;
    const literal = shape?.[discriminator];
    return literal instanceof z.ZodLiteral && literal.values.has(value as never);
  });
}
