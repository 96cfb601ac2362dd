// The day's results file: a run with --only replaces its own sections and keeps
// the sections other runs of that day wrote, each still named by the run that
// took it, so that benchmarks run one at a time (or by different people) end
// up in one file without anyone editing figures by hand.
import { existsSync, readFileSync } from 'node:fs';

/** One run of the driver: the bullet naming its command, and the sections it wrote. */
export interface ReportRun {
  /** "`npm run bench -- --only synth`: 5 runs each, in 6.1 minutes, finished 14:10 UTC" */
  readonly summary: string;
  readonly sections: readonly string[][];
}

/** "4", "3a": a section's number, from its heading; unnumbered ones sort last. */
export const sectionKey = (lines: readonly string[]): string => /^## (\d+[a-z]?)\./.exec(lines[0] ?? '')?.[1] ?? '9';

const RUN_LINE = /^- (`npm run bench.*`: .*); sections? ([\da-z, ]+)\.$/;

function runLine(summary: string, keys: readonly string[]): string {
  return `- ${summary}; section${keys.length === 1 ? '' : 's'} ${keys.join(', ')}.`;
}

/** The runs a results file records, each with the sections it wrote; empty for a file in another format. */
export function parseReport(text: string): ReportRun[] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.startsWith('## '));
  const header = first < 0 ? lines : lines.slice(0, first);
  const sections: string[][] = [];
  for (const line of first < 0 ? [] : lines.slice(first)) {
    if (line.startsWith('## ')) sections.push([line]);
    else sections[sections.length - 1]!.push(line);
  }
  return header.flatMap((line) => {
    const m = RUN_LINE.exec(line);
    if (!m) return [];
    const keys = new Set(m[2]!.split(',').map((k) => k.trim()));
    return [{ summary: m[1]!, sections: sections.filter((s) => keys.has(sectionKey(s))) }];
  });
}

/**
 * The runs the file should hold after `run`: with `keepOthers`, the earlier
 * runs' sections that `run` did not write again (a run left without sections
 * is dropped), then `run`; otherwise `run` alone.
 */
export function mergeRuns(earlier: readonly ReportRun[], run: ReportRun, keepOthers: boolean): ReportRun[] {
  if (!keepOthers) return [run];
  const written = new Set(run.sections.map(sectionKey));
  const kept = earlier.map((r) => ({ ...r, sections: r.sections.filter((s) => !written.has(sectionKey(s))) })).filter((r) => r.sections.length > 0);
  return [...kept, run];
}

export function readRuns(file: string): ReportRun[] {
  return existsSync(file) ? parseReport(readFileSync(file, 'utf8')) : [];
}

/** The results file's text: the runs that wrote it, the machine, then every section in number order. */
export function renderReport(options: { readonly title: string; readonly runs: readonly ReportRun[]; readonly machine: readonly string[] }): string {
  const sections = options.runs.flatMap((r) => r.sections).sort((a, b) => sectionKey(a).localeCompare(sectionKey(b)));
  return [
    options.title,
    '',
    'Each section was taken in one run of the driver, on this machine; the runs:',
    '',
    ...options.runs.map((r) => runLine(r.summary, [...new Set(r.sections.map(sectionKey))])),
    '',
    'Absolute times on a shared 2-core machine are noisy; the ratios are the result.',
    '',
    'Machine:',
    '',
    ...options.machine,
    '',
    ...sections.flat(),
  ].join('\n');
}
