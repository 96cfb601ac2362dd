import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from './redact.ts';
import { formatTable } from '../cli/table.ts';
import { RoundTripReport } from './round-trip-report.ts';

export type StepOutcome = 'ok' | 'failed' | 'skipped';

export interface StepRecord {
  readonly host: string;
  readonly phase: string;
  readonly step: string;
  readonly outcome: StepOutcome;
  readonly seconds: number;
  readonly detail?: string;
}

export interface Console {
  readonly isTTY: boolean;
  write(text: string): void;
}

/**
 * Everything the provisioner says goes through here, redacted: prefixed lines on
 * the console (a live status line per host when it is a terminal), the full
 * output of every command in a log file per host, and the summary at the end.
 */
export class Reporter {
  /** The run's round trips per host and phase (herd apply --stats, round-trips.json). */
  readonly roundTrips = new RoundTripReport();
  private readonly records: StepRecord[] = [];
  private readonly running = new Map<string, string>();
  private liveLines = 0;

  constructor(
    private readonly redactor: Redactor,
    private readonly logDir: string,
    private readonly console: Console,
  ) {
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
  }

  /** A secret learnt during the run (a join token): redacted from here on. */
  addSecret(value: string): void {
    this.redactor.add(value);
  }

  phase(title: string): void {
    this.roundTrips.phase(title);
    this.say(`==> ${title}`);
  }

  info(host: string | undefined, text: string): void {
    this.say(host === undefined ? text : `[${host}] ${text}`);
  }

  stepStarted(host: string, phase: string, step: string): void {
    this.log(host, `--- ${phase}: ${step}`);
    if (this.console.isTTY) {
      this.running.set(host, `${phase}: ${step}`);
      this.redraw();
    } else {
      this.say(`[${host}] ${phase}: ${step} ...`);
    }
  }

  stepFinished(record: StepRecord): void {
    this.records.push(record);
    this.running.delete(record.host);
    const detail = record.detail ? `: ${record.detail}` : '';
    this.log(record.host, `--- ${record.outcome} after ${record.seconds.toFixed(1)} s${detail}`);
    this.say(`[${record.host}] ${record.phase}: ${record.step} ${record.outcome} (${record.seconds.toFixed(1)} s)${detail}`);
  }

  /** Raw command output: to the host's log file only, never to the console. */
  output(host: string, text: string): void {
    this.log(host, text.endsWith('\n') ? text.slice(0, -1) : text);
  }

  summary(): string {
    const rows = this.records.map((r) => [r.host, r.phase, r.step, r.outcome, `${r.seconds.toFixed(1)} s`]);
    return rows.length === 0 ? 'no changes\n' : formatTable(['HOST', 'PHASE', 'STEP', 'RESULT', 'TIME'], rows);
  }

  logFile(host: string): string {
    return join(this.logDir, `${host}.log`);
  }

  /** Writes the round-trip counts next to the hosts' logs, as a table and as JSON. */
  writeRoundTrips(): void {
    writeFileSync(join(this.logDir, 'round-trips.txt'), this.roundTrips.table(), { mode: 0o600 });
    writeFileSync(join(this.logDir, 'round-trips.json'), `${JSON.stringify(this.roundTrips.counts(), null, 2)}\n`, { mode: 0o600 });
  }

  private log(host: string, text: string): void {
    appendFileSync(this.logFile(host), `${this.redactor.redact(text)}\n`, { mode: 0o600 });
  }

  private say(text: string): void {
    this.clearLive();
    this.console.write(`${this.redactor.redact(text)}\n`);
    this.redraw();
  }

  private clearLive(): void {
    if (!this.console.isTTY || this.liveLines === 0) return;
    // Cursor up over the status block, then clear to the end of the screen.
    this.console.write(`\x1b[${this.liveLines}A\x1b[J`);
    this.liveLines = 0;
  }

  private redraw(): void {
    if (!this.console.isTTY || this.running.size === 0) return;
    this.clearLive();
    const lines = [...this.running].map(([host, what]) => `  … [${host}] ${what}`);
    this.console.write(lines.map((l) => `${this.redactor.redact(l)}\n`).join(''));
    this.liveLines = lines.length;
  }
}
