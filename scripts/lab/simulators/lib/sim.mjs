// The frame every simulator runs in: injected faults first, then the
// command, then one journal line with what happened.
import { appendFileSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readJson, withLock, writeJson } from './files.mjs';
import { HOST_IO_DIR } from './paths.mjs';

/** Thrown to end a simulated command with an exit code and, optionally, a message on stderr. */
export class Exit extends Error {
  constructor(code, message = '') {
    super(message);
    this.code = code;
  }
}

export function fail(code, message) {
  throw new Exit(code, message);
}

let host;
/** This lab host: { name, address, user }. */
export function hostInfo() {
  host ??= JSON.parse(readFileSync(join(HOST_IO_DIR, 'host.json'), 'utf8'));
  return host;
}

const REDACTED = '<redacted>';
/** Flags whose value is a secret, for every simulated command. */
const SECRET_FLAGS = new Set([
  '--token',
  '--certificate-key',
  '--discovery-token-ca-cert-hash',
  '--discovery-token',
  '--tls-bootstrap-token',
  '--password',
  '--client-key-data',
]);
/** Shapes of kubeadm secrets wherever they appear (a positional token, a flag=value pair). */
const SECRET_SHAPES = [/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, /\b[a-f0-9]{64}\b/g, /(?<=authorization:\s*)\S.*$/gi];

/**
 * The argv as journalled: values of secret flags replaced, both as
 * "--flag value" and "--flag=value"; `extra` adds command-specific ones,
 * and `keyValue` flags (kubectl --from-literal=key=value) keep only the key.
 */
export function redactArgv(argv, { extra = [], keyValue = [] } = {}) {
  const secret = new Set([...SECRET_FLAGS, ...extra]);
  const pairs = new Set(keyValue);
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (secret.has(flag)) {
      if (eq === -1) {
        out.push(arg);
        if (i + 1 < argv.length) {
          out.push(REDACTED);
          i++;
        }
      } else out.push(`${flag}=${REDACTED}`);
      continue;
    }
    if (pairs.has(flag)) {
      if (eq === -1) {
        out.push(arg);
        const value = argv[++i];
        if (value !== undefined) out.push(`${value.split('=')[0]}=${REDACTED}`);
      } else out.push(`${flag}=${arg.slice(eq + 1).split('=')[0]}=${REDACTED}`);
      continue;
    }
    out.push(SECRET_SHAPES.reduce((s, re) => s.replace(re, REDACTED), arg));
  }
  return out;
}

/** What a simulator gets: its arguments, output streams, and a way to say it changed something. */
export class Context {
  constructor(command, argv) {
    this.command = command;
    this.argv = argv;
    this.mutating = false;
    this.uid = process.getuid();
    this.isRoot = this.uid === 0;
  }

  /** Record that this call changed state: the journal line says mutating: true. */
  mutated() {
    this.mutating = true;
  }

  out(text) {
    process.stdout.write(text);
  }

  err(text) {
    process.stderr.write(text);
  }

  /** All of stdin (empty when stdin is closed or /dev/null). */
  readStdin() {
    try {
      return readFileSync(0, 'utf8');
    } catch (err) {
      if (err.code === 'EAGAIN' || err.code === 'EOF') return '';
      throw err;
    }
  }

  get host() {
    return hostInfo();
  }
}

function userName() {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid());
  }
}

function journal(entry) {
  appendFileSync(join(HOST_IO_DIR, 'journal.jsonl'), `${JSON.stringify(entry)}\n`);
}

/** A command fault matches when its first word is the command and its other words appear in argv, in order. */
function matches(fault, command, argv) {
  const [name, ...words] = fault.command.split(' ');
  if (name !== command) return false;
  let at = 0;
  for (const word of words) {
    const found = argv.indexOf(word, at);
    if (found === -1) return false;
    at = found + 1;
  }
  return true;
}

function takeFault(command, argv) {
  const file = join(HOST_IO_DIR, 'faults.json');
  const quick = readJson(file, { commands: [] });
  if (!quick.commands.some((f) => matches(f, command, argv))) return undefined;
  return withLock(`${file}.lock`, () => {
    const faults = readJson(file, { commands: [] });
    const fault = faults.commands.find((f) => matches(f, command, argv));
    if (!fault) return undefined;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults.commands.splice(faults.commands.indexOf(fault), 1);
      writeJson(file, faults, 0o666);
    }
    return fault;
  });
}

/**
 * Runs a simulator. main(ctx) returns an exit code (or nothing for 0), or
 * throws Exit. `redaction` adds secret flags for this command (see redactArgv).
 */
export async function simulate(command, main, redaction = {}) {
  const started = Date.now();
  const argv = process.argv.slice(2);
  process.stdout.on('error', () => {});
  const ctx = new Context(command, argv);
  const entry = (exit, extra = {}) => ({
    time: new Date().toISOString(),
    host: hostInfo().name,
    command,
    argv: redactArgv(argv, redaction),
    exit,
    mutating: ctx.mutating,
    user: userName(),
    durationMs: Date.now() - started,
    ...(fault?.kind === 'slow' ? { fault: 'slow' } : {}),
    ...extra,
  });
  const fault = takeFault(command, argv);
  if (fault?.kind === 'hang') {
    journal(entry(null, { fault: 'hang' }));
    // Hang like a stuck process: until a signal ends it.
    setInterval(() => {}, 1 << 30);
    return;
  }
  if (fault?.kind === 'fail') {
    process.stderr.write(`${fault.stderr ?? `${command}: failed (injected by the herd lab)`}\n`);
    journal(entry(fault.exitCode, { fault: 'fail' }));
    process.exitCode = fault.exitCode;
    return;
  }
  if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
  let code;
  try {
    code = (await main(ctx)) ?? 0;
  } catch (err) {
    if (err instanceof Exit) {
      if (err.message) process.stderr.write(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
      code = err.code;
    } else {
      process.stderr.write(`${command}: internal error in the herd lab simulator: ${err?.stack ?? err}\n`);
      code = 70;
    }
  }
  journal(entry(code));
  process.exitCode = code;
}
