// Calico's selector language (https://docs.tigera.io/calico/latest/reference/resources/bgppeer,
// "Selectors"), as far as the BGPPeers herd renders use it: has(k), !, k == 'v', k != 'v',
// k in { 'a', 'b' }, k not in { … }, &&, || and parentheses. Anything else is an error, so that a
// selector herd starts to render in a new form fails the tests that evaluate it instead of
// matching nothing.

type Labels = Readonly<Record<string, string>>;
type Matcher = (labels: Labels) => boolean;

const TOKEN = /\s*(\(|\)|\{|\}|,|&&|\|\||==|!=|!|'[^']*'|"[^"]*"|[A-Za-z0-9_./-]+)/y;

function tokens(selector: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < selector.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(selector);
    if (match === null) {
      if (selector.slice(at).trim() === '') break;
      throw new Error(`selector "${selector}": cannot read "${selector.slice(at)}"`);
    }
    out.push(match[1]!);
  }
  return out;
}

export function parseSelector(selector: string): Matcher {
  const ts = tokens(selector);
  let i = 0;
  const peek = () => ts[i];
  const take = (expected?: string): string => {
    const t = ts[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`selector "${selector}": expected ${expected ?? 'more'} at token ${i}, found ${t ?? 'the end'}`);
    return t;
  };
  const literal = (): string => {
    const t = take();
    if (!/^['"]/.test(t)) throw new Error(`selector "${selector}": expected a quoted value, found ${t}`);
    return t.slice(1, -1);
  };
  const set = (): Set<string> => {
    take('{');
    const values = new Set<string>();
    while (peek() !== '}') {
      values.add(literal());
      if (peek() === ',') take(',');
    }
    take('}');
    return values;
  };
  const term = (): Matcher => {
    const t = take();
    if (t === '!') {
      const inner = term();
      return (l) => !inner(l);
    }
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === 'has') {
      take('(');
      const key = take();
      take(')');
      return (l) => key in l;
    }
    if (t === 'all') {
      take('(');
      take(')');
      return () => true;
    }
    const key = t;
    const op = take();
    if (op === '==') {
      const v = literal();
      return (l) => l[key] === v;
    }
    if (op === '!=') {
      const v = literal();
      return (l) => l[key] !== v;
    }
    if (op === 'in') {
      const values = set();
      return (l) => l[key] !== undefined && values.has(l[key]);
    }
    if (op === 'not' && take('in')) {
      const values = set();
      return (l) => l[key] === undefined || !values.has(l[key]);
    }
    throw new Error(`selector "${selector}": unknown operator ${op}`);
  };
  const and = (): Matcher => {
    let left = term();
    while (peek() === '&&') {
      take('&&');
      const [a, b] = [left, term()];
      left = (l) => a(l) && b(l);
    }
    return left;
  };
  const or = (): Matcher => {
    let left = and();
    while (peek() === '||') {
      take('||');
      const [a, b] = [left, and()];
      left = (l) => a(l) || b(l);
    }
    return left;
  };
  const matcher = or();
  if (i !== ts.length) throw new Error(`selector "${selector}": unexpected ${ts[i]}`);
  return matcher;
}
