// Simulated sysctl (procps-ng 4): reads and writes the lab host's simulated
// kernel parameters; --system and -p read the real configuration files the
// host's scripts wrote (/etc/sysctl.d/*.conf, /etc/sysctl.conf, …).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeKey, procPath, readKernel, sysctlValue, updateKernel, validSysctlValue } from './lib/kernel.mjs';
import { fail, simulate } from './lib/sim.mjs';

const SYSTEM_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

function parseCommandLine(argv) {
  const opts = { values: false, names: false, ignore: false, quiet: false, write: false, all: false, system: false, load: null, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--system') opts.system = true;
    else if (arg === '--values') opts.values = true;
    else if (arg === '--names') opts.names = true;
    else if (arg === '--ignore') opts.ignore = true;
    else if (arg === '--quiet') opts.quiet = true;
    else if (arg === '--write') opts.write = true;
    else if (arg === '--all') opts.all = true;
    else if (arg === '--load' || arg === '--load=') opts.load ??= [];
    else if (arg.startsWith('--load=')) (opts.load ??= []).push(arg.slice(7));
    else if (arg.startsWith('--')) fail(1, `sysctl: unrecognized option '${arg}'\nTry 'sysctl --help' for more information.`);
    else if (arg.startsWith('-') && arg.length > 1) {
      for (const c of arg.slice(1)) {
        if (c === 'n') opts.values = true;
        else if (c === 'N') opts.names = true;
        else if (c === 'e') opts.ignore = true;
        else if (c === 'q') opts.quiet = true;
        else if (c === 'w') opts.write = true;
        else if (c === 'a' || c === 'A' || c === 'X') opts.all = true;
        else if (c === 'p') opts.load ??= [];
        else fail(1, `sysctl: invalid option -- '${c}'\nTry 'sysctl --help' for more information.`);
      }
    } else if (opts.load !== null) opts.load.push(arg);
    else opts.args.push(arg);
  }
  return opts;
}

/** The configuration files --system applies, in procps-ng's order: by file name, first directory wins. */
function systemFiles() {
  const byName = new Map();
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.conf')).sort()) {
      if (!byName.has(name)) byName.set(name, join(dir, name));
    }
  }
  const files = [...byName.keys()].sort().map((n) => byName.get(n));
  if (existsSync('/etc/sysctl.conf')) files.push('/etc/sysctl.conf');
  return files;
}

function parseConf(text) {
  const settings = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    let ignoreErrors = false;
    if (line.startsWith('-')) {
      ignoreErrors = true;
      line = line.slice(1);
    }
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    settings.push({ key: normalizeKey(line.slice(0, eq).trim()), value: line.slice(eq + 1).trim(), ignoreErrors });
  }
  return settings;
}

await simulate('sysctl', (ctx) => {
  const opts = parseCommandLine(ctx.argv);
  let code = 0;
  const print = (key, value) => {
    if (opts.quiet) return;
    ctx.out(opts.values ? `${value}\n` : opts.names ? `${key}\n` : `${key} = ${value}\n`);
  };

  /** Applies settings in order; returns false if any failed. */
  const apply = (settings) => {
    // Only root can change anything, and only root may take the kernel state's lock.
    const transaction = ctx.isRoot ? updateKernel : (fn) => ({ result: fn(readKernel()) });
    const { result } = transaction((state) => {
      const failures = [];
      for (const { key, value, ignoreErrors } of settings) {
        if (key.includes('*')) continue;
        if (sysctlValue(state, key) === undefined) {
          if (!ignoreErrors && !opts.ignore) failures.push(`sysctl: cannot stat ${procPath(key)}: No such file or directory`);
          continue;
        }
        if (!ctx.isRoot) {
          if (!ignoreErrors) failures.push(`sysctl: permission denied on key "${key}"`);
          continue;
        }
        if (!validSysctlValue(state, key, value)) {
          if (!ignoreErrors) failures.push(`sysctl: setting key "${key}": Invalid argument`);
          continue;
        }
        const normalized = value.split(/\s+/).join('\t');
        if (sysctlValue(state, key) !== normalized) {
          state.sysctl[key] = normalized;
          ctx.mutated();
        }
        print(key, normalized);
      }
      return failures;
    });
    for (const message of result) ctx.err(`${message}\n`);
    if (result.length > 0) code = 1;
  };

  if (opts.system) {
    for (const file of systemFiles()) {
      if (!opts.quiet) ctx.out(`* Applying ${file} ...\n`);
      apply(parseConf(readFileSync(file, 'utf8')));
    }
    return code;
  }
  if (opts.load !== null) {
    const files = opts.load.length > 0 ? opts.load : ['/etc/sysctl.conf'];
    for (const file of files) {
      let text;
      try {
        text = file === '-' ? ctx.readStdin() : readFileSync(file, 'utf8');
      } catch {
        ctx.err(`sysctl: cannot open "${file}": No such file or directory\n`);
        code = 1;
        continue;
      }
      apply(parseConf(text));
    }
    return code;
  }
  if (opts.all) {
    const state = readKernel();
    const keys = new Set([...Object.keys(state.sysctl), 'net.ipv4.ip_forward', 'vm.swappiness']);
    for (const key of [...keys].sort()) {
      const value = sysctlValue(state, key);
      if (value !== undefined) print(key, value);
    }
    return 0;
  }
  if (opts.args.length === 0) fail(1, 'sysctl: no variables specified\nTry `sysctl --help\' for more information.');
  const writes = opts.args.filter((a) => opts.write || a.includes('='));
  if (writes.length > 0) {
    const settings = [];
    for (const arg of writes) {
      const eq = arg.indexOf('=');
      if (eq === -1) fail(1, `sysctl: "${arg}" must be of the form name=value`);
      settings.push({ key: normalizeKey(arg.slice(0, eq).trim()), value: arg.slice(eq + 1).trim(), ignoreErrors: false });
    }
    apply(settings);
  }
  const state = readKernel();
  for (const arg of opts.args.filter((a) => !writes.includes(a))) {
    const key = normalizeKey(arg);
    const value = sysctlValue(state, key);
    if (value === undefined) {
      if (!opts.ignore) {
        ctx.err(`sysctl: cannot stat ${procPath(key)}: No such file or directory\n`);
        code = 1;
      }
      continue;
    }
    if (opts.quiet) continue;
    ctx.out(opts.values ? `${value}\n` : opts.names ? `${key}\n` : `${key} = ${value}\n`);
  }
  return code;
});
