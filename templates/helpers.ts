import { quote } from 'shell-quote';
import { stringify } from 'yaml';

// Template helpers. Each one turns a value into text for one target syntax, so
// a template never pastes a raw value into a shell or a YAML document.

/** Characters that mean nothing to bash anywhere in a word: such words stay readable without quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** One shell word. Plain when nothing in it is special to bash, else quoted by shell-quote. */
export function shellWord(value: unknown): string {
  const text = scalarText(value, 'shell');
  return SHELL_SAFE.test(text) && !text.startsWith('=') ? text : quote([text]);
}

const scalars = new Map<unknown, string>();

/**
 * One YAML scalar: plain when the YAML library finds that unambiguous, quoted
 * otherwise. Remembered per value: the same names, versions and paths come
 * back in every node's files, and the library's per-call cost was most of
 * rendering a large cluster.
 */
export function yamlScalar(value: unknown): string {
  const primitive = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const known = primitive ? scalars.get(value) : undefined;
  if (known !== undefined) return known;
  const text = stringify(value, { lineWidth: 0 }).trimEnd();
  if (primitive) scalars.set(value, text);
  return text;
}

/** A value inside a double-quoted TOML string (JSON string escapes are a subset TOML accepts). */
export function tomlString(value: unknown): string {
  return JSON.stringify(scalarText(value, 'toml'));
}

function scalarText(value: unknown, helper: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`the ${helper} helper takes a string, number or boolean, not ${value === null ? 'null' : typeof value}`);
}
