// Calico's label selector language (libcalico-go lib/selector), as BGPPeer nodeSelector and
// peerSelector use it: all(), global(), has(k), k == 'v', k != 'v', k in {'a','b'},
// k not in {...}, k contains / starts with / ends with 's', !, &&, || and parentheses.
// As in Calico, a missing label satisfies `!=` and `not in`.

export type Labels = Readonly<Record<string, string>>;
export type Selector = (labels: Labels) => boolean;

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'op'; readonly text: string };

const OPERATORS = ['==', '!=', '&&', '||', '!', '(', ')', '{', '}', ','];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new SelectorError(`unterminated string at position ${i + 1}`);
      tokens.push({ kind: 'string', text: source.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    const word = /^[A-Za-z0-9_./-]+/.exec(source.slice(i));
    if (!word) throw new SelectorError(`unexpected character '${c}' at position ${i + 1}`);
    tokens.push({ kind: 'word', text: word[0] });
    i += word[0].length;
  }
  return tokens;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Selector {
    const selector = this.or();
    const rest = this.tokens[this.position];
    if (rest) throw new SelectorError(`unexpected '${rest.text}'`);
    return selector;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.text === text;
  }

  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.kind === 'word' && t.text === text;
  }

  private expectOp(text: string): void {
    if (!this.isOp(text)) throw new SelectorError(`expected '${text}'${this.peek() ? ` before '${this.peek()!.text}'` : ' at the end'}`);
    this.position++;
  }

  private string(): string {
    const t = this.peek();
    if (t?.kind !== 'string') throw new SelectorError(`expected a quoted value${t ? ` before '${t.text}'` : ' at the end'}`);
    this.position++;
    return t.text;
  }

  private or(): Selector {
    let left = this.and();
    while (this.isOp('||')) {
      this.position++;
      const l = left;
      const r = this.and();
      left = (labels) => l(labels) || r(labels);
    }
    return left;
  }

  private and(): Selector {
    let left = this.unary();
    while (this.isOp('&&')) {
      this.position++;
      const l = left;
      const r = this.unary();
      left = (labels) => l(labels) && r(labels);
    }
    return left;
  }

  private unary(): Selector {
    if (this.isOp('!')) {
      this.position++;
      const inner = this.unary();
      return (labels) => !inner(labels);
    }
    if (this.isOp('(')) {
      this.position++;
      const inner = this.or();
      this.expectOp(')');
      return inner;
    }
    return this.term();
  }

  private term(): Selector {
    const t = this.peek();
    if (t?.kind !== 'word') throw new SelectorError(t ? `unexpected '${t.text}'` : 'unexpected end of selector');
    this.position++;
    if ((t.text === 'all' || t.text === 'global') && this.isOp('(')) {
      this.position++;
      this.expectOp(')');
      return () => true;
    }
    if (t.text === 'has' && this.isOp('(')) {
      this.position++;
      const key = this.peek();
      if (key?.kind !== 'word') throw new SelectorError('has() needs a label name');
      this.position++;
      this.expectOp(')');
      return (labels) => Object.hasOwn(labels, key.text);
    }
    const key = t.text;
    if (this.isOp('==')) {
      this.position++;
      const value = this.string();
      return (labels) => Object.hasOwn(labels, key) && labels[key] === value;
    }
    if (this.isOp('!=')) {
      this.position++;
      const value = this.string();
      return (labels) => !Object.hasOwn(labels, key) || labels[key] !== value;
    }
    if (this.isWord('in')) {
      this.position++;
      const values = this.set();
      return (labels) => Object.hasOwn(labels, key) && values.has(labels[key]!);
    }
    if (this.isWord('not') && this.isWord('in', 1)) {
      this.position += 2;
      const values = this.set();
      return (labels) => !Object.hasOwn(labels, key) || !values.has(labels[key]!);
    }
    if (this.isWord('contains')) {
      this.position++;
      const value = this.string();
      return (labels) => Object.hasOwn(labels, key) && labels[key]!.includes(value);
    }
    if (this.isWord('starts') && this.isWord('with', 1)) {
      this.position += 2;
      const value = this.string();
      return (labels) => Object.hasOwn(labels, key) && labels[key]!.startsWith(value);
    }
    if (this.isWord('ends') && this.isWord('with', 1)) {
      this.position += 2;
      const value = this.string();
      return (labels) => Object.hasOwn(labels, key) && labels[key]!.endsWith(value);
    }
    throw new SelectorError(`expected an operator after '${key}' (==, !=, in, not in, contains, starts with, ends with)`);
  }

  private set(): Set<string> {
    this.expectOp('{');
    const values = new Set<string>();
    while (!this.isOp('}')) {
      values.add(this.string());
      if (!this.isOp('}')) this.expectOp(',');
    }
    this.position++;
    return values;
  }
}

/** Parses a Calico selector; throws SelectorError saying what is wrong and where. */
export function parseSelector(source: string): Selector {
  try {
    return new Parser(tokenize(source)).parse();
  } catch (err) {
    if (err instanceof SelectorError) throw new SelectorError(`selector "${source}": ${err.message}`);
    throw err;
  }
}
