import { CST, Lexer, LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type Pair, type YAMLError } from 'yaml';
import { formatPath, type ConfigIssue } from './errors.ts';

/** One environment file as written: its text, its YAML document, and where each line starts. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

export type SourcePath = readonly (string | number)[];

/**
 * Parses one file. A syntax error ends the reading of that file: what follows it cannot be read
 * reliably, and the parser's further errors are mostly the first one seen again, so the first is
 * reported, at the line where the problem is. Keys given twice are not syntax errors here: they
 * are reported with their path by duplicateKeys, next to every other problem of the file.
 */
export function parseSource(file: string, text: string): SourceFile | ConfigIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const first = doc.errors[0];
  if (first === undefined) return { file, text, doc, lines };
  return [{ file, path: '', line: lines.linePos(problemOffset(text, first, doc.errors)).line, message: `YAML syntax: ${syntaxMessage(first)}` }];
}

/**
 * Where the operator has to look. The yaml library reports an unclosed quote where the file ends,
 * and a line indented too far at the key before it (with a second error that spans to the line
 * itself): the first is moved to the opening quote, the second to the end of that span.
 */
function problemOffset(text: string, first: YAMLError, all: readonly YAMLError[]): number {
  if (first.code === 'MISSING_CHAR' && /quote/.test(first.message)) return openingQuote(text, first);
  const ends = all.filter((e) => e.pos[0] === first.pos[0]).map((e) => Math.max(e.pos[0], e.pos[1] - 1));
  return Math.max(...ends);
}

function openingQuote(text: string, error: YAMLError): number {
  let offset = 0;
  let opened: number | undefined;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'double-quoted-scalar' || type === 'single-quoted-scalar') {
      const quote = token[0]!;
      if (offset <= error.pos[0] && (token.length < 2 || !token.trimEnd().endsWith(quote))) opened = offset;
    }
    // The lexer's control tokens (document start, scalar and flow-end markers) are not in the source.
    if (!['\u0002', '\u0018', '\u001f'].includes(token)) offset += token.length;
  }
  return opened ?? error.pos[0];
}

function syntaxMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0]!;
  switch (error.code) {
    case 'MISSING_CHAR':
      return /quote/.test(first) ? `${first}: the quoted value that starts on this line is never closed; add the closing quote` : first;
    case 'TAB_AS_INDENT':
      return 'this line is indented with a tab; YAML indents with spaces only';
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return `${first}; check the indentation here: the keys of one mapping line up exactly, and a value nested under a key is indented further than the key`;
    default:
      return first;
  }
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/** Every key given twice in one mapping, with its path: YAML would silently keep only one of the values. */
export function duplicateKeys(source: SourceFile): { path: SourcePath; issue: ConfigIssue }[] {
  const found: { path: SourcePath; issue: ConfigIssue }[] = [];
  const visit = (node: unknown, path: SourcePath): void => {
    if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
    if (!isMap(node)) return;
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = keyOf(pair);
      if (key === undefined) continue;
      const line = lineOf(source, pair.key as YamlNode);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, line ?? 0);
      else {
        const at = [...path, key];
        found.push({
          path: at,
          issue: { file: source.file, path: formatPath(at), line, message: `"${key}" is given twice in this mapping (first on line ${first}); YAML would keep only one of them: remove the other` },
        });
      }
      visit(pair.value, [...path, key]);
    }
  };
  visit(source.doc.contents, []);
  return found;
}

function lineOf(source: SourceFile, node: YamlNode | null | undefined): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : source.lines.linePos(offset).line;
}

/**
 * The node at a path, and the key that names it: an issue about a field points at the field's key
 * (the line the operator wrote the name on), not at its value, which may start on the next line.
 */
function nodeAt(source: SourceFile, path: SourcePath): { node: YamlNode | undefined; key: YamlNode | undefined } | undefined {
  let node: unknown = source.doc.contents;
  let key: YamlNode | undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.findLast((p) => keyOf(p) === String(step));
      if (pair === undefined) return undefined;
      key = pair.key as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      key = undefined;
      if (node === undefined) return undefined;
    } else return undefined;
  }
  return { node: (isPair(node) ? undefined : (node as YamlNode | null)) ?? undefined, key };
}

/** The line of the value at a path (its key's line for a field), or undefined when the file does not hold it. */
export function lineAt(source: SourceFile, path: SourcePath): number | undefined {
  const found = nodeAt(source, path);
  return found === undefined ? undefined : lineOf(source, found.key ?? found.node);
}

/** What the operator typed for the value at a path, as written (3.30, not the number 3.3). */
export function sourceTextAt(source: SourceFile, path: SourcePath): string | undefined {
  const node = nodeAt(source, path)?.node;
  return isScalar(node) && node.range ? source.text.slice(node.range[0], node.range[1]) : undefined;
}
