// kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath): text with
// {expressions}: fields, [n], [*], [a:b], [?(@.k=="v")], ..field, unions,
// {range …}{end}, string literals. Multiple results print space-separated.

function parseTemplate(template) {
  const segments = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open === -1) {
      segments.push({ text: template.slice(i) });
      break;
    }
    if (open > i) segments.push({ text: template.slice(i, open) });
    let depth = 0;
    let j = open;
    let quote = null;
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (j >= template.length) throw new Error(`unclosed action`);
    segments.push({ expr: template.slice(open + 1, j).trim() });
    i = j + 1;
  }
  return segments;
}

function unescape(s) {
  return s.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** Splits a path like .a.b[0][?(@.x=="y")]..c into steps. */
function parsePath(path) {
  const steps = [];
  let i = 0;
  if (path.startsWith('$') || path.startsWith('@')) i = 1;
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      i += 2;
      const m = /^[A-Za-z0-9_\-/*]+/.exec(path.slice(i));
      steps.push({ recursive: m ? m[0] : '*' });
      i += m ? m[0].length : 0;
    } else if (path[i] === '.') {
      i++;
      const m = /^[^.[\]]+/.exec(path.slice(i));
      if (!m) continue;
      steps.push(m[0] === '*' ? { wildcard: true } : { field: m[0] });
      i += m[0].length;
    } else if (path[i] === '[') {
      let depth = 0;
      let j = i;
      for (; j < path.length; j++) {
        if (path[j] === '[') depth++;
        else if (path[j] === ']' && --depth === 0) break;
      }
      const inner = path.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') steps.push({ wildcard: true });
      else if (inner.startsWith('?(')) steps.push({ filter: inner.slice(2, -1).trim() });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        steps.push({ slice: [a === '' ? undefined : Number(a), b === '' ? undefined : Number(b)] });
      } else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else steps.push({ union: inner.split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')) });
    } else {
      const m = /^[^.[\]]+/.exec(path.slice(i));
      steps.push({ field: m[0] });
      i += m[0].length;
    }
  }
  return steps;
}

function children(v) {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.values(v);
  return [];
}

function literal(text) {
  const t = text.trim();
  if (/^["'].*["']$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

function filterMatches(item, expr) {
  const m = /^(@[^<>=!]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(expr);
  if (!m) return evaluate(parsePath(expr), [item]).length > 0;
  const left = evaluate(parsePath(m[1].trim()), [item]);
  if (left.length === 0) return false;
  const value = left[0];
  const right = m[3].trim().startsWith('@') ? evaluate(parsePath(m[3].trim()), [item])[0] : literal(m[3]);
  switch (m[2]) {
    case '==':
      return value === right || String(value) === String(right);
    case '!=':
      return String(value) !== String(right);
    case '<':
      return Number(value) < Number(right);
    case '>':
      return Number(value) > Number(right);
    case '<=':
      return Number(value) <= Number(right);
    default:
      return Number(value) >= Number(right);
  }
}

function evaluate(steps, values) {
  let current = values;
  for (const step of steps) {
    const next = [];
    for (const v of current) {
      if ('field' in step) {
        if (v && typeof v === 'object' && !Array.isArray(v) && step.field in v) next.push(v[step.field]);
      } else if ('wildcard' in step) next.push(...children(v));
      else if ('index' in step) {
        if (Array.isArray(v)) {
          const at = step.index < 0 ? v.length + step.index : step.index;
          if (at >= 0 && at < v.length) next.push(v[at]);
        }
      } else if ('slice' in step) {
        if (Array.isArray(v)) next.push(...v.slice(step.slice[0], step.slice[1]));
      } else if ('union' in step) {
        for (const key of step.union) {
          if (Array.isArray(v) && /^-?\d+$/.test(key)) next.push(v[Number(key)]);
          else if (v && typeof v === 'object' && key in v) next.push(v[key]);
        }
      } else if ('filter' in step) {
        next.push(...children(v).filter((item) => filterMatches(item, step.filter)));
      } else if ('recursive' in step) {
        const walk = (node) => {
          if (!node || typeof node !== 'object') return;
          if (!Array.isArray(node)) {
            if (step.recursive === '*') next.push(...Object.values(node));
            else if (step.recursive in node) next.push(node[step.recursive]);
          }
          for (const c of children(node)) walk(c);
        };
        walk(v);
      }
    }
    current = next;
  }
  return current;
}

function print(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Renders a kubectl -o jsonpath template against data; throws on a malformed template. */
export function renderJsonPath(template, data) {
  const segments = parseTemplate(template);
  let out = '';
  const run = (from, to, scope) => {
    for (let k = from; k < to; k++) {
      const seg = segments[k];
      if ('text' in seg) {
        out += seg.text;
        continue;
      }
      const expr = seg.expr;
      if (expr.startsWith('range ')) {
        let depth = 1;
        let end = k + 1;
        for (; end < to; end++) {
          const e = segments[end].expr;
          if (e === undefined) continue;
          if (e.startsWith('range ')) depth++;
          if (e === 'end' && --depth === 0) break;
        }
        for (const item of evaluate(parsePath(expr.slice(6).trim()), [scope])) run(k + 1, end, item);
        k = end;
        continue;
      }
      if (expr === 'end') continue;
      if (/^["']/.test(expr)) {
        out += unescape(expr.slice(1, -1));
        continue;
      }
      const parts = expr.split(/,(?![^[]*\])/).map((p) => p.trim());
      const results = parts.flatMap((p) => (/^["']/.test(p) ? [unescape(p.slice(1, -1))] : evaluate(parsePath(p), [p.startsWith('$') ? data : scope])));
      out += results.map(print).join(' ');
    }
  };
  run(0, segments.length, data);
  return out;
}

/** Values a path selects, for --for=jsonpath and custom columns. */
export function selectPath(path, data) {
  const inner = path.trim().replace(/^\{|\}$/g, '');
  return evaluate(parsePath(inner), [data]);
}
