import { z } from 'zod';
import { pickOption } from './schema-walk.ts';

// Cross-field checks run on what parsed, so that a file with a schema error and a cross-field
// error reports both. Where the schema rejected a value, the checks see a guarded spec: reading
// a rejected value stops the check that reads it (Unparsed), and that check reports nothing, so a
// wrong value never causes a second, follow-on error. Everything else carries its defaults, as
// in a spec that parsed whole.

/** Thrown when a check reads a value the schema rejected. */
export class Unparsed extends Error {
  constructor(readonly path: readonly string[]) {
    super(`the value at ${path.join('.')} did not parse`);
  }
}

/**
 * What `read` returns, or undefined when it reads a value the schema rejected: a check that gathers
 * many entries (every address of the plan) leaves out the unreadable one and checks the others.
 */
export function readable<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof Unparsed) return undefined;
    throw err;
  }
}

/** readable() for each entry of a list, by index: reading an entry to pass it on would already stop. */
export function readableEach<T>(list: readonly unknown[], read: (i: number) => T | undefined): (T | undefined)[] {
  return Array.from({ length: list.length }, (_, i) => readable(() => read(i)));
}

/** Paths of rejected values, as a tree keyed by the string form of each step. */
export class RejectedPaths {
  private readonly children = new Map<string, RejectedPaths>();
  private rejected = false;

  add(path: readonly PropertyKey[]): void {
    let node: RejectedPaths = this;
    for (const step of path) {
      const key = String(step);
      let child = node.children.get(key);
      if (child === undefined) node.children.set(key, (child = new RejectedPaths()));
      node = child;
    }
    node.rejected = true;
  }

  get empty(): boolean {
    return !this.rejected && this.children.size === 0;
  }

  /** The spec as the checks see it: a proxy only along the paths that lead to a rejected value. */
  guard<T>(value: T, path: readonly string[] = []): T {
    if (this.empty || value === null || typeof value !== 'object') return value;
    return new Proxy(value as object, {
      get: (target, key, receiver) => {
        const child = typeof key === 'string' ? this.children.get(key) : undefined;
        const result: unknown = Reflect.get(target, key, receiver);
        if (child === undefined) return result;
        if (child.rejected) throw new Unparsed([...path, key as string]);
        return child.guard(result, [...path, key as string]);
      },
    }) as T;
  }
}

/**
 * The file's value with every default the schema gives, parsed as far as it parses: where a part
 * fails, its raw value stays in place (at the same key or index, so nothing else moves) and its path
 * is added to `rejected`. Keys the schema does not know are left out.
 */
export function parseWhatParses(schema: z.ZodType, value: unknown, rejected: RejectedPaths, path: readonly PropertyKey[] = []): unknown {
  const whole = schema.safeParse(value);
  if (whole.success) return whole.data;
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return value === undefined ? whole.data : parseWhatParses(schema.unwrap() as z.ZodType, value, rejected, path);
  }
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const option = pickOption(schema, value);
    if (option !== undefined) return parseWhatParses(option, value, rejected, path);
  }
  if (schema instanceof z.ZodObject && isRecord(value)) {
    return Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [key, parseWhatParses(field, value[key], rejected, [...path, key])]),
    );
  }
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    const element = schema.element as z.ZodType;
    return value.map((item, i) => parseWhatParses(element, item, rejected, [...path, i]));
  }
  if (schema instanceof z.ZodRecord && isRecord(value)) {
    const valueType = schema.valueType as z.ZodType;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, parseWhatParses(valueType, item, rejected, [...path, key])]));
  }
  rejected.add(path);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
