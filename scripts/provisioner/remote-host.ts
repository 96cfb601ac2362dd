import { quote } from 'shell-quote';
import type { ClusterNode } from '../../stacks/topology/topology.ts';

/** A machine herd logs into: a node's name and address (a node being removed may no longer be in the environment). */
export type HostAddress = Pick<ClusterNode, 'name' | 'address'>;
import type { ExecResult, SshSession } from '../ssh/session.ts';
import type { Reporter } from './report.ts';
import { hostname } from 'node:os';
import { APPLIED_DIR } from '../../templates/paths.ts';
import { collectingSecrets, parseCollected, secretsStdin, withNodeLock, withSecrets } from './node-commands.ts';

/** A file to place on a node: the staged copy is written over SFTP, then installed as root. */
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
  constructor(
    readonly node: HostAddress,
    private readonly session: SshSession,
    private readonly reporter: Reporter,
    private readonly timeoutMs: number,
  ) {}

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
    const command = `sudo -n ${quote(options.readOnly ? timed : withNodeLock(timed, this.holder(options.step ?? argv.join(' ')), lockWait))}`;
    this.reporter.output(this.name, `$ ${options.readOnly ? command : `[node lock] ${quote(timed)}`}`);
    return this.session.exec(command, {
      timeoutMs: (lockWait + seconds + KILL_AFTER_SECONDS + 5) * 1000,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      onOutput: this.output(options.secretOutput === true),
    });
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

  /** Places files as root, each with its mode; the staged copies live in a private directory of the login user. */
  async putFiles(step: string, files: readonly NodeFile[]): Promise<void> {
    if (files.length === 0) return;
    const stage = `.herd-stage-${process.pid}`;
    await this.session.exec(`rm -rf ${stage} && mkdir -m 700 ${stage}`, { timeoutMs: this.timeoutMs });
    const installs: string[] = [];
    try {
      await Promise.all(
        files.map(async (file, i) => {
          await this.session.writeFile(`${stage}/${i}`, file.content, 0o600);
          installs.push(quote(['install', '-D', '-o', 'root', '-g', 'root', '-m', file.mode.toString(8), `${stage}/${i}`, file.dest]));
        }),
      );
    } catch (err) {
      // A half-written stage (a full disk) is no use to the next run either.
      await this.session.exec(`rm -rf ${stage}`, { timeoutMs: this.timeoutMs }).catch(() => undefined);
      throw new StepFailedError(this.name, step, 1, err instanceof Error ? err.message : String(err));
    }
    installs.sort();
    const install = withNodeLock(['sh', '-c', installs.join(' && ')], this.holder(step), Math.ceil(this.timeoutMs / 1000));
    const result = await this.session.exec(`sudo -n ${quote(install)}; rc=$?; rm -rf ${stage}; exit $rc`, { timeoutMs: 2 * this.timeoutMs, onOutput: this.output(false) });
    if (result.code !== 0) throw new StepFailedError(this.name, step, result.code, tail(result.stderr));
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
    const pairs = Object.entries(records).flat();
    const script = 'mkdir -p "$0" && while [ $# -gt 0 ]; do printf %s "$2" > "$0/$1.tmp" && mv "$0/$1.tmp" "$0/$1"; shift 2; done';
    await this.mustRun('record what was applied', ['sh', '-c', script, APPLIED_DIR, ...pairs]);
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
