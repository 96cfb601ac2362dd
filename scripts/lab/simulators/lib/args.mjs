// Command-line parsing the way GNU getopt and Go's pflag accept it:
// --name=value, --name value, -x value, -xvalue, -x=value, grouped short booleans (-fsSL), "--".

/**
 * spec: { [longName]: { type: 'boolean' | 'string', short?: 'x', multiple?: true } }
 * onUnknown(flag): called for an unknown flag; should throw.
 * interspersed: flags may follow positionals (pflag, GNU); false stops at the first positional.
 */
export function parseArgs(argv, spec, { onUnknown, onMissingValue, interspersed = true } = {}) {
  const byShort = new Map();
  for (const [name, def] of Object.entries(spec)) if (def.short) byShort.set(def.short, name);
  const flags = {};
  const positionals = [];
  const set = (name, value) => {
    if (spec[name].multiple) (flags[name] ??= []).push(value);
    else flags[name] = value;
  };
  const missing = (flag) => {
    if (onMissingValue) onMissingValue(flag);
    throw new Error(`flag needs an argument: ${flag}`);
  };
  const unknown = (flag) => {
    if (onUnknown) onUnknown(flag);
    throw new Error(`unknown flag: ${flag}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const def = spec[name];
      if (!def) unknown(`--${name}`);
      if (def.type === 'boolean') {
        set(name, eq === -1 ? true : !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(arg.slice(eq + 1)));
      } else if (eq !== -1) {
        set(name, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) missing(`--${name}`);
        set(name, argv[++i]);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const name = byShort.get(arg[j]);
        if (!name) unknown(`-${arg[j]}`);
        if (spec[name].type === 'boolean') {
          set(name, true);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        if (value === '') {
          if (i + 1 >= argv.length) missing(`-${arg[j]}`);
          value = argv[++i];
        }
        set(name, value);
        break;
      }
      continue;
    }
    if (!interspersed) {
      positionals.push(...argv.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return { flags, positionals };
}

/** Go duration ("1h30m", "90s", "0") or a bare number of seconds, in milliseconds; undefined if invalid. */
export function parseDuration(text) {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text;
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
