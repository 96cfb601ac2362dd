// The lab host's dpkg database is the real one, /var/lib/dpkg/status, in the
// host's overlay: it starts as this machine's, the simulated apt-get adds and
// removes paragraphs, and real tools (dpkg -l) read the same file.
import { readFileSync } from 'node:fs';
import { writeFileAtomic, withLock } from './files.mjs';

export const STATUS_FILE = '/var/lib/dpkg/status';
const LOCK = '/var/lib/dpkg/lock-frontend.herd-lab';

/** Parses one control paragraph into [field, value] pairs, keeping continuation lines. */
export function parseParagraph(raw) {
  const fields = [];
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields[fields.length - 1];
      if (last) last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return fields;
}

export function field(paragraph, name) {
  const lower = name.toLowerCase();
  return paragraph.fields.find(([k]) => k.toLowerCase() === lower)?.[1];
}

/**
 * The database as a list of { name, fields, raw } in file order. A paragraph's
 * fields are parsed when first read: a host's database holds this machine's
 * 800-odd packages, and parsing them all was 30 ms of every simulated command
 * that looks one up, against 1 ms for the names.
 */
export function readStatus() {
  let text;
  try {
    text = readFileSync(STATUS_FILE, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split(/\n\n+/)
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      let fields;
      return {
        name: /^Package:[ \t]*(.*?)[ \t]*$/m.exec(raw)?.[1] ?? '',
        get fields() {
          return (fields ??= parseParagraph(raw));
        },
        raw: raw.replace(/\n+$/, ''),
      };
    });
}

function render(paragraph) {
  return paragraph.fields.map(([k, v]) => `${k}: ${v}`).join('\n');
}

export function writeStatus(paragraphs) {
  writeFileAtomic(STATUS_FILE, `${paragraphs.map((p) => p.raw ?? render(p)).join('\n\n')}\n\n`);
}

/** Installed package: { version, want, status } or undefined. */
export function installed(paragraphs, name) {
  const p = paragraphs.find((q) => q.name === name);
  if (!p) return undefined;
  const [want, , state] = (field(p, 'Status') ?? 'unknown ok not-installed').split(' ');
  if (state !== 'installed') return undefined;
  return { version: field(p, 'Version') ?? '', want, paragraph: p };
}

export function setParagraph(paragraphs, name, fields) {
  const paragraph = { name, fields, raw: undefined };
  const at = paragraphs.findIndex((p) => p.name === name);
  if (at === -1) paragraphs.push(paragraph);
  else paragraphs[at] = paragraph;
}

export function setWant(paragraphs, name, want) {
  const p = paragraphs.find((q) => q.name === name);
  if (!p) return false;
  const status = field(p, 'Status') ?? 'unknown ok not-installed';
  const [current, ...rest] = status.split(' ');
  if (current === want) return false;
  const fields = p.fields.map(([k, v]) => [k, k === 'Status' ? [want, ...rest].join(' ') : v]);
  setParagraph(paragraphs, name, fields);
  return true;
}

export function removeParagraph(paragraphs, name) {
  const at = paragraphs.findIndex((p) => p.name === name);
  if (at !== -1) paragraphs.splice(at, 1);
}

/** Serializes package changes on this host, like dpkg's frontend lock. */
export function withDpkgLock(fn) {
  return withLock(LOCK, fn);
}

/** Debian version comparison (epoch:upstream-revision), as dpkg --compare-versions. */
export function compareVersions(a, b) {
  const split = (v) => {
    const colon = v.indexOf(':');
    const epoch = colon === -1 ? 0 : Number(v.slice(0, colon));
    const rest = colon === -1 ? v : v.slice(colon + 1);
    const dash = rest.lastIndexOf('-');
    return [epoch, dash === -1 ? rest : rest.slice(0, dash), dash === -1 ? '0' : rest.slice(dash + 1)];
  };
  const order = (c) => (c === '~' ? -1 : c === undefined || c === '' ? 0 : /[a-zA-Z]/.test(c) ? c.charCodeAt(0) : c.charCodeAt(0) + 256);
  const part = (x, y) => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      let diff = 0;
      while ((i < x.length && !/\d/.test(x[i])) || (j < y.length && !/\d/.test(y[j]))) {
        const ac = i < x.length && !/\d/.test(x[i]) ? x[i] : '';
        const bc = j < y.length && !/\d/.test(y[j]) ? y[j] : '';
        diff = order(ac) - order(bc);
        if (diff !== 0) return Math.sign(diff);
        if (ac !== '') i++;
        if (bc !== '') j++;
      }
      let an = '';
      let bn = '';
      while (i < x.length && /\d/.test(x[i])) an += x[i++];
      while (j < y.length && /\d/.test(y[j])) bn += y[j++];
      diff = Number(an || 0) - Number(bn || 0);
      if (diff !== 0) return Math.sign(diff);
    }
    return 0;
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  return Math.sign(ea - eb) || part(ua, ub) || part(ra, rb);
}
