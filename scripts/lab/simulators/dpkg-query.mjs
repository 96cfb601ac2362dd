// Simulated dpkg-query (dpkg 1.21): answers from the lab host's real dpkg
// database, which the simulated apt-get and apt-mark keep, in dpkg-query's
// own formats: -W [-f FORMAT], -s, -l, -L.
import { readFileSync } from 'node:fs';
import { field, readStatus } from './lib/dpkg.mjs';
import { fail, simulate } from './lib/sim.mjs';

const WANT = { unknown: 'u', install: 'i', hold: 'h', deinstall: 'r', purge: 'p' };
const STATE = {
  'not-installed': 'n',
  'config-files': 'c',
  'half-installed': 'H',
  unpacked: 'U',
  'half-configured': 'F',
  'triggers-awaited': 'W',
  'triggers-pending': 't',
  installed: 'i',
};

function statusParts(p) {
  const [want = 'unknown', eflag = 'ok', state = 'not-installed'] = (field(p, 'Status') ?? '').split(' ');
  return { want, eflag, state };
}

/** One ${field} or ${field;width} of a --showformat. */
function fieldValue(p, name) {
  const { want, eflag, state } = statusParts(p);
  switch (name.toLowerCase()) {
    case 'db:status-abbrev':
      return `${WANT[want] ?? 'u'}${STATE[state] ?? 'n'}${eflag === 'ok' ? ' ' : 'R'}`;
    case 'db:status-want':
      return want;
    case 'db:status-status':
      return state;
    case 'db:status-eflag':
      return eflag;
    case 'binary:package':
    case 'package':
      return p.name;
    case 'binary:summary':
      return (field(p, 'Description') ?? '').split('\n')[0];
    case 'source:package':
      return (field(p, 'Source') ?? p.name).split(' ')[0];
    default:
      return field(p, name) ?? '';
  }
}

export function format(p, showformat) {
  const unescaped = showformat.replace(/\\(n|t|\\|")/g, (_, c) => ({ n: '\n', t: '\t', '\\': '\\', '"': '"' })[c]);
  return unescaped.replace(/\$\{([^};]+)(?:;(-?\d+))?\}/g, (_, name, width) => {
    const value = fieldValue(p, name);
    if (width === undefined) return value;
    const w = Number(width);
    return w < 0 ? value.padEnd(-w) : value.padStart(w);
  });
}

function globToRegExp(pattern) {
  return new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.').replace(/\[!/g, '[^')}$`);
}

function isGlob(pattern) {
  return /[*?[]/.test(pattern);
}

function parseCommandLine(argv) {
  const opts = { action: undefined, showformat: '${binary:Package}\t${Version}\n', patterns: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const setAction = (a) => {
      if (opts.action && opts.action !== a) fail(2, `dpkg-query: error: conflicting actions -${opts.action} and -${a}\n\nUse --help for help about querying packages.`);
      opts.action = a;
    };
    if (arg === '--') {
      opts.patterns.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-W' || arg === '--show') setAction('W');
    else if (arg === '-s' || arg === '--status') setAction('s');
    else if (arg === '-l' || arg === '--list') setAction('l');
    else if (arg === '-L' || arg === '--listfiles') setAction('L');
    else if (arg === '-f' || arg === '--showformat') opts.showformat = argv[++i] ?? fail(2, 'dpkg-query: error: --showformat needs a value');
    else if (arg.startsWith('--showformat=')) opts.showformat = arg.slice('--showformat='.length);
    // dpkg's option parser takes "-f=FORMAT" like "-fFORMAT".
    else if (arg.startsWith('-f') && arg.length > 2) opts.showformat = arg.slice(2).replace(/^=/, '');
    else if (arg.startsWith('--admindir=') || arg.startsWith('--root=') || arg === '--no-pager') continue;
    else if (/^-[Wsl]+$/.test(arg)) for (const c of arg.slice(1)) setAction(c);
    else if (arg.startsWith('-')) fail(2, `dpkg-query: error: unknown option ${arg}\n\nUse --help for help about querying packages.`);
    else opts.patterns.push(arg);
  }
  if (!opts.action) fail(2, 'dpkg-query: error: need an action option\n\nUse --help for help about querying packages.');
  return opts;
}

await simulate('dpkg-query', (ctx) => {
  const opts = parseCommandLine(ctx.argv);
  const db = readStatus();
  const visible = (p) => statusParts(p).state !== 'not-installed';
  let code = 0;
  const select = (includeNotInstalledExact) => {
    if (opts.patterns.length === 0) return db.filter(visible);
    const out = [];
    for (const pattern of opts.patterns) {
      const re = globToRegExp(pattern);
      const found = db.filter((p) => re.test(p.name) && (visible(p) || (includeNotInstalledExact && !isGlob(pattern) && statusParts(p).want !== 'unknown')));
      if (found.length === 0) {
        ctx.err(`dpkg-query: no packages found matching ${pattern}\n`);
        code = 1;
      }
      out.push(...found.filter((p) => !out.includes(p)));
    }
    return out;
  };

  switch (opts.action) {
    case 'W':
      for (const p of select(true)) ctx.out(format(p, opts.showformat));
      return code;
    case 's': {
      if (opts.patterns.length === 0) fail(2, 'dpkg-query: error: --status needs at least one package name argument\n\nUse --help for help about querying packages.');
      const blocks = [];
      for (const name of opts.patterns) {
        const p = db.find((q) => q.name === name);
        if (!p || !visible(p)) {
          ctx.err(`dpkg-query: package '${name}' is not installed and no information is available\n`);
          code = 1;
          continue;
        }
        blocks.push(`${p.raw ?? p.fields.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
      }
      ctx.out(blocks.join('\n'));
      if (code !== 0) ctx.err('Use dpkg --info (= dpkg-deb --info) to examine archive files.\n');
      return code;
    }
    case 'l': {
      const rows = select(false).sort((a, b) => a.name.localeCompare(b.name)).map((p) => [fieldValue(p, 'db:Status-Abbrev'), p.name, field(p, 'Version') ?? '<none>', field(p, 'Architecture') ?? '<none>', fieldValue(p, 'binary:Summary')]);
      if (rows.length === 0) return code;
      const widths = [14, 12, 12].map((w, i) => Math.max(w, ...rows.map((r) => r[i + 1].length)));
      ctx.out(
        'Desired=Unknown/Install/Remove/Purge/Hold\n' +
          '| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n' +
          '|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n' +
          `||/ ${'Name'.padEnd(widths[0])} ${'Version'.padEnd(widths[1])} ${'Architecture'.padEnd(widths[2])} Description\n` +
          `+++-${'='.repeat(widths[0])}-${'='.repeat(widths[1])}-${'='.repeat(widths[2])}-${'='.repeat(33)}\n`,
      );
      for (const [abbrev, name, version, arch, summary] of rows) {
        ctx.out(`${abbrev.padEnd(3)} ${name.padEnd(widths[0])} ${version.padEnd(widths[1])} ${arch.padEnd(widths[2])} ${summary}\n`);
      }
      return code;
    }
    case 'L':
      for (const name of opts.patterns) {
        try {
          ctx.out(readFileSync(`/var/lib/dpkg/info/${name}.list`, 'utf8'));
        } catch {
          ctx.err(`dpkg-query: package '${name}' is not installed\nUse dpkg --contents (= dpkg-deb --contents) to list archive files contents.\n`);
          code = 1;
        }
      }
      return code;
  }
  return code;
});
