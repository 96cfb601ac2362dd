import type { z } from 'zod';

// herd's words for what the schema library reports in its own ("expected number, received
// string", "Too big: expected number to be <=65535"): each says what to write instead. Fields
// whose rule needs its own explanation carry it in the schema; these are the defaults.

/** How a value the operator wrote reads back, for messages: "the text "four"", "the number 3.3". */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${visible(value)}"`;
  return `the ${typeof value} ${String(value)}`;
}

const WHAT: Readonly<Record<string, string>> = {
  number: 'a number such as 4',
  int: 'a whole number such as 4',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping (key: value lines, or { key: value })',
  array: 'a list ([a, b], or lines starting with "- ")',
};

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The error function herd parses environment files with; undefined leaves a schema's own message. */
export function herdError(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = String(issue.expected);
      const what = WHAT[expected] ?? expected;
      if (issue.input === undefined) return 'is required';
      if (expected === 'int' && typeof issue.input === 'number') return `must be a whole number, not ${issue.input}`;
      if ((expected === 'number' || expected === 'int') && typeof issue.input === 'string' && issue.input.trim() !== '' && !Number.isNaN(Number(issue.input))) {
        return `must be a number: write ${issue.input.trim()} without quotes`;
      }
      return `must be ${what}, not ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${plural(min, 'entry', 'entries')}`;
      if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${plural(min, 'character', 'characters')} long`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${min}, not ${String(issue.input)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `may have at most ${plural(max, 'entry', 'entries')}`;
      if (issue.origin === 'string') return `may be at most ${plural(max, 'character', 'characters')} long`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}, not ${String(issue.input)}`;
    }
    case 'invalid_format':
      if (issue.format === 'url') return `must be a URL such as https://mirror.example.com/path, not ${describeValue(issue.input)}`;
      return undefined;
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const given = String(issue.input);
      if (allowed.length === 1) return `must be ${allowed[0]}, not ${describeValue(issue.input)}`;
      return `must be one of ${allowed.join(', ')}, not ${describeValue(issue.input)}${didYouMean(given, allowed)}`;
    }
    case 'invalid_union': {
      const note = (issue as { note?: string; discriminator?: string; options?: unknown[] }).note;
      const options = (issue as { options?: unknown[] }).options;
      if (note === 'No matching discriminator' && options !== undefined) {
        const allowed = options.map(String);
        const given = (issue.input as Record<string, unknown> | undefined)?.[(issue as { discriminator?: string }).discriminator ?? 'type'];
        return given === undefined
          ? `is required: one of ${allowed.join(', ')}`
          : `must be one of ${allowed.join(', ')}, not ${describeValue(given)}${didYouMean(String(given), allowed)}`;
      }
      return 'has none of the forms this field allows (see the field reference in the README)';
    }
    default:
      return undefined;
  }
}

export function didYouMean(given: string, allowed: readonly string[]): string {
  const g = given.toLowerCase();
  const close = allowed.find((a) => a.toLowerCase() === g) ?? allowed.find((a) => editDistance(a.toLowerCase(), g) <= 2);
  return close !== undefined && close !== given ? ` (did you mean "${close}"?)` : '';
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

// Characters that print as nothing or as an ordinary space, and that editors and chat tools slip
// into copied text: a key holding one is a different key, a value holding one a different value.
const INVISIBLE = /[\u00A0\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2000-\u200F\u2028-\u202F\u205F-\u206F\u3000\u3164\uFEFF]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');
const INVISIBLE_NAMES: Readonly<Record<string, string>> = {
  '\u00A0': 'no-break space',
  '\u00AD': 'soft hyphen',
  '\u200B': 'zero-width space',
  '\u200C': 'zero-width non-joiner',
  '\u200D': 'zero-width joiner',
  '\u200E': 'left-to-right mark',
  '\u2060': 'word joiner',
  '\u202F': 'narrow no-break space',
  '\uFEFF': 'zero-width no-break space (byte-order mark)',
};

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Text with each invisible character shown as <U+200B>, so that a message does not hide the problem it names. */
export function visible(text: string): string {
  return text.replace(INVISIBLE_ALL, (ch) => `<${codePoint(ch)}>`);
}

export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE_ALL, '');
}

/** A hint naming the first invisible character in text and where it sits, or '' when there is none. */
export function invisibleHint(text: string): string {
  const match = INVISIBLE.exec(text);
  if (match === null) return '';
  const ch = match[0];
  const before = text.slice(0, match.index);
  const where = before === '' ? 'at the start' : `after "${visible(before)}"`;
  const name = INVISIBLE_NAMES[ch] ?? 'an invisible character';
  return `; it holds an invisible character, ${codePoint(ch)} ${name}, ${where}: delete it and retype the text around it`;
}

/**
 * A hint for a value YAML read differently from how it was written: `version: 3.30` is the number
 * 3.3 and `version: 1.10` the number 1.1, which is not what the operator meant.
 */
export function yamlReadingHint(value: unknown, source: string | undefined, textWanted: boolean): string {
  if (source === undefined || (typeof value !== 'number' && typeof value !== 'boolean')) return '';
  const written = source.trim();
  if (String(value) !== written) return `; YAML reads ${written} as the ${typeof value} ${String(value)}: put it in quotes, "${written}", to keep it as written`;
  return textWanted ? `: put it in quotes, "${written}"` : '';
}
