import { performance } from 'node:perf_hooks';

/** A figure measured several times: its median and its spread (min–max). */
export interface Sample {
  readonly runs: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function sample(runs: readonly number[]): Sample {
  if (runs.length === 0) throw new Error('a sample needs at least one run');
  const s = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { runs, median, min: s[0]!, max: s[s.length - 1]! };
}

/** Wall seconds of one call. */
export async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Runs `fn` `times` times, one after the other; each run returns its own seconds. */
export async function repeat(times: number, fn: (run: number) => Promise<number> | number): Promise<Sample> {
  const runs: number[] = [];
  for (let i = 0; i < times; i++) runs.push(await fn(i));
  return sample(runs);
}

/** "1.23 (1.20–1.31)": median and min–max, in seconds. */
export function formatSeconds(s: Sample, digits = 2): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}
