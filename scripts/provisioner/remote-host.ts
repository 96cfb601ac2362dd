import { quote } from 'shell-quote';
import type { ClusterNode } from '../../stacks/topology/topology.ts';

/** A machine herd logs into: a node's name and address (a node being removed may no longer be in the environment). */
export type HostAddress = Pick<ClusterNode, 'name' | 'address'>;
import type { ExecResult, SshSession } from '../ssh/session.ts';
import type { Reporter } from './report.ts';
import { hostname } from 'node:os';
import { collectingSecrets, parseCollected, secretsStdin, withNodeLock, withSecrets, withStep } from './node-commands.ts';

/** A file to place on a node: it travels on the step's stdin and is installed as root. */
export interface NodeFile {
  readonly dest: string;
  readonly content: string;
  readonly mode: number;
}

export interface CommandOptions {
  /** Sent on stdin: how secrets reach a node. */
  readonly stdin?: string;
  /** The command prints a secret: keep its output out of every log. */
  readonly secretOutput?: boolean;
  /** For a command with its own longer limit (a drain): the node kills it after this many seconds instead of ssh.commandTimeoutSeconds. */
  readonly timeoutSeconds?: number;
  /** The command only reads: it does not wait for, or hold, the node's lock. */
  readonly readOnly?: boolean;
  /** What the command is for, as the node's lock names its holder to a run that waits for it. */
  readonly step?: string;
  /** How the node's log shows the command, when its argv is a wrapper too long to read there. */
  readonly logAs?: string;
}

/** A step as one exchange: files placed, then a command run, then what it applied recorded (see node-commands.ts). */
export interface Step {
  readonly files?: readonly NodeFile[];
  /** Folders removed before the files are placed: the files of nodes that are gone. */
  readonly clear?: readonly string[];
  readonly argv?: readonly string[];
  /** Placed in `dir` for the command alone, as mustRunWithSecrets places them. */
  readonly secrets?: { readonly dir: string; readonly values: Readonly<Record<string, string>> };
  /** Written to the node's records of what was applied before the command runs: the start of what a killed run leaves half done. */
  readonly marks?: Readonly<Record<string, string>>;
  /** Written to the node's records of what was applied once the command succeeded; the probe reads them back. */
  readonly records?: Readonly<Record<string, string>>;
  readonly timeoutSeconds?: number;
}

export class StepFailedError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly code: number,
    readonly tail: string,
  ) {
    super(`${host}: ${step} failed with exit code ${code}${tail ? `; last output:\n${tail}` : ''}`);
    this.name = 'StepFailedError';
  }
}

export class StepTimedOutError extends Error {
  constructor(host: string, step: string, seconds: number, tailText: string) {
    super(`${host}: ${step} did not finish within ${seconds} s (ssh.commandTimeoutSeconds) and was killed${tailText ? `; last output:\n${tailText}` : ''}`);
    this.name = 'StepTimedOutError';
  }
}

/** timeout(1)'s exit codes: the time ran out (TERM), or the command ignored TERM and was killed. */
const TIMED_OUT = 124;
const KILLED = 137;
const KILL_AFTER_SECONDS = 10;

const TAIL_LINES = 15;

/**
 * One node as the provisioner drives it: root commands through `sudo -n`, files
 * over SFTP, secrets only through a command's stdin (never argv, never a file
 * that the login user can read), every byte of output into the node's log.
 */
export class RemoteHost {
  /** Whether this run sent the host a command that may change it (one that takes the node's lock). */
  changed = false;

  constructor(
    readonly node: HostAddress,
    private readonly session: SshSession,
    private readonly reporter: Reporter,
    private readonly timeoutMs: number,
  ) {
    reporter.roundTrips.at(node.name, session.roundTrips.count);
  }

  get name(): string {
    return this.node.name;
  }

  /**
   * Runs a root command and returns its result, whatever its exit code. Output
   * goes to the node's log unless it is a secret (`secretOutput`), which is
   * returned and never logged.
   */
  async rootCommand(argv: readonly string[], options: CommandOptions = {}): Promise<ExecResult> {
    // timeout(1) on the node kills the command's whole process group when its time is up, so a
    // hung kubeadm does not outlive the step; the channel's own timer is only a backstop.
    const seconds = options.timeoutSeconds ?? Math.ceil(this.timeoutMs / 1000);
    const timed = ['timeout', `--kill-after=${KILL_AFTER_SECONDS}`, String(seconds), ...argv];
    // A command that changes the node first waits for one a killed run left running there.
    const lockWait = options.readOnly ? 0 : seconds + KILL_AFTER_SECONDS + 5;
    if (options.readOnly !== true) this.changed = true;
    const command = `sudo -n ${quote(options.readOnly ? timed : withNodeLock(timed, this.holder(options.step ?? argv.join(' ')), lockWait))}`;
    const shown = options.logAs ?? quote(argv);
    this.reporter.output(this.name, `$ ${options.readOnly ? `sudo -n ${shown}` : `[node lock] ${shown}`}`);
    try {
      return await this.session.exec(command, {
        timeoutMs: (lockWait + seconds + KILL_AFTER_SECONDS + 5) * 1000,
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        onOutput: this.output(options.secretOutput === true),
      });
    } finally {
      this.reporter.roundTrips.at(this.name, this.session.roundTrips.count);
    }
  }

  /** Where a command's output goes: the node's log, and what the operator must see on the console. */
  private output(secretOutput: boolean): (chunk: string, stream: 'stdout' | 'stderr') => void {
    return (chunk, stream) => {
      // A command that prints a secret prints it on stdout only; its stderr is logged like any other.
      if (!secretOutput || stream === 'stderr') this.reporter.output(this.name, chunk);
      // A wait for the node's lock is news for the operator, not only for the log.
      if (stream === 'stderr') for (const line of chunk.match(NODE_LOCK_NEWS) ?? []) this.reporter.info(this.name, line);
    };
  }

  /** Runs a root command that must succeed; a failure carries the step name and the last lines of output. */
  async mustRun(step: string, argv: readonly string[], options: CommandOptions = {}): Promise<ExecResult> {
    const result = await this.rootCommand(argv, { step, ...options });
    if (result.code === TIMED_OUT || result.code === KILLED) {
      throw new StepTimedOutError(this.name, step, options.timeoutSeconds ?? Math.ceil(this.timeoutMs / 1000), tail(options.secretOutput ? result.stderr : `${result.stdout}${result.stderr}`));
    }
    if (result.code !== 0) {
      throw new StepFailedError(this.name, step, result.code, tail(options.secretOutput ? result.stderr : `${result.stdout}${result.stderr}`));
    }
    return result;
  }

  /**
   * Runs a step in one exchange: its files travel on stdin and are placed
   * as root with their modes, then its command runs (with its secrets, if
   * any, placed for it alone), then, if it succeeded, the records of what it
   * applied are written. A failure carries the step name and the last lines
   * of output, as mustRun's do.
   */
  async step(step: string, what: Step): Promise<ExecResult> {
    const files = what.files ?? [];
    const secrets = what.secrets;
    const command = what.argv === undefined ? [] : secrets === undefined ? [...what.argv] : withSecrets(what.argv, secrets.dir, this.secretLifetimeSeconds());
    const wrapped = withStep(command, { files, clear: what.clear ?? [], marks: what.marks ?? {}, records: what.records ?? {} });
    const shown = [
      ...(what.clear ?? []).map((dir) => `clear ${dir}`),
      ...(files.length > 0 ? [`place ${files.length} file${files.length === 1 ? '' : 's'} (${files.map((f) => f.dest).join(' ')})`] : []),
      ...(what.marks === undefined ? [] : [`mark ${Object.keys(what.marks).join(' ')}`]),
      ...(what.argv === undefined ? [] : [`${secrets === undefined ? '' : `[secrets ${Object.keys(secrets.values).join(' ')} in ${secrets.dir}] `}${quote(what.argv)}`]),
      ...(what.records === undefined ? [] : [`record ${Object.keys(what.records).join(' ')}`]),
    ].join('; ');
    return this.mustRun(step, wrapped.argv, {
      stdin: wrapped.stdin + (secrets === undefined ? '' : secretsStdin(secrets.values)),
      logAs: `[step] ${shown}`,
      ...(what.timeoutSeconds === undefined ? {} : { timeoutSeconds: what.timeoutSeconds }),
    });
  }

  /** Places files as root, each with its mode, in one exchange. */
  async putFiles(step: string, files: readonly NodeFile[]): Promise<void> {
    if (files.length > 0) await this.step(step, { files });
  }

  /**
   * Runs a root command with secrets placed for it alone in `dir` (0700, files
   * 0600, each holding exactly its value), in one exchange: the values travel
   * on stdin, and the node removes them when the command ends, or within a
   * bound if the command is killed before it can (secrets never outlive a
   * killed herd for long).
   */
  async mustRunWithSecrets(step: string, dir: string, secrets: Readonly<Record<string, string>>, argv: readonly string[]): Promise<ExecResult> {
    return this.mustRun(step, withSecrets(argv, dir, this.secretLifetimeSeconds()), { stdin: secretsStdin(secrets), step });
  }

  /**
   * Runs a root command that leaves secrets in `dir` and returns them, in one
   * exchange: they come back on stdout (never logged, never written here), and
   * the node removes them at once, or within a bound if the command is killed.
   */
  async collectSecrets(step: string, dir: string, names: readonly string[], argv: readonly string[]): Promise<Record<string, string>> {
    const result = await this.mustRun(step, collectingSecrets(argv, dir, names, this.secretLifetimeSeconds()), { secretOutput: true, step });
    return parseCollected(result.stdout, names);
  }

  async removeDir(step: string, dir: string): Promise<void> {
    await this.mustRun(step, ['rm', '-rf', dir]);
  }

  /** Remembers that steps succeeded with these desired states, so the next run can skip them (read back by the probe). */
  async recordApplied(records: Readonly<Record<string, string>>): Promise<void> {
    await this.step('record what was applied', { records });
  }

  /** How long a secret may stay on the node when the command that placed it is killed before its cleanup. */
  private secretLifetimeSeconds(): number {
    return Math.ceil(this.timeoutMs / 1000) + KILL_AFTER_SECONDS + 10;
  }

  private holder(step: string): string {
    return `${step} (herd pid ${process.pid} on ${hostname()}, started ${STARTED})`;
  }
}

const STARTED = new Date().toISOString();
/** What the node lock's wrapper says when it waits, or gives up waiting (node-commands.ts). */
const NODE_LOCK_NEWS = /^herd: .*(waiting up to|still runs a step).*$/gm;

export function tail(text: string): string {
  return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}
