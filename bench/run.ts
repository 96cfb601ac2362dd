// Every benchmark of issue 8 in one run, side by side on the same machine,
// each figure repeated; writes bench/results/<YYYY-MM-DD>.md and prints it.
// Needs root (the lab). Benchmarks report; they never fail on a time.
//
//   npm run bench                 # the full run
//   npm run bench -- --quick      # fewer runs, smaller N: for trying it out
//   npm run bench -- --only fan-out,synth
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fanOutBenchmark } from './fan-out.ts';
import { noChangeBenchmark } from './no-change.ts';
import { addWorkerTimes, scaleOutTable } from './scale-out.ts';
import { synthBenchmark } from './synth.ts';
import { validateBenchmark } from './validate.ts';
import { preflightBenchmark } from './preflight.ts';
import { bgpBenchmark } from './bgp.ts';
import { startLabCluster } from './lib/lab-cluster.ts';
import { describeMachine } from './lib/machine.ts';
import type { Sample } from './lib/stats.ts';

const BENCHMARKS = ['fan-out', 'scale-out', 'no-change', 'synth', 'validate', 'preflight', 'bgp'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
const only = new Set((values.only ?? BENCHMARKS.join(',')).split(','));
for (const name of only) if (!(BENCHMARKS as readonly string[]).includes(name)) throw new Error(`--only: unknown benchmark ${name} (one of ${BENCHMARKS.join(', ')})`);
const wanted = (name: Benchmark): boolean => only.has(name);

const config = quick
  ? { runs: 2, fanOutSizes: [10, 25], handshakes: 10, small: 5, large: 10, synthSizes: [10, 100, 1000], validateSizes: [100, 1000] }
  : { runs: 5, fanOutSizes: [25, 50, 100], handshakes: 40, small: 5, large: 50, synthSizes: [10, 100, 1000, 5000], validateSizes: [100, 1000, 5000] };

const started = Date.now();
const sections: string[][] = [];
const log = (text: string): void => void process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${text}\n`);

/** A benchmark that fails leaves its section saying why; the others still run. */
async function section(title: string, fn: () => Promise<string[]> | string[]): Promise<void> {
  log(`${title}…`);
  try {
    const lines = await fn();
    if (lines.length > 0) sections.push(lines);
  } catch (err) {
    sections.push([`## ${title}`, '', `Failed: ${err instanceof Error ? err.message : String(err)}`.replaceAll('\n', '\n    '), '']);
  }
}

if (wanted('fan-out')) {
  await section('1. SSH fan-out', () => fanOutBenchmark({ sizes: config.fanOutSizes, runs: config.runs, handshakes: config.handshakes }));
}

// The large cluster serves both the no-change deploy and the scale-out; it has a spare host per run for the latter.
const scaleOut: { nodes: number; sample: Sample }[] = [];
if (wanted('no-change') || wanted('scale-out')) {
  await section(`3. No-change deploy / 2. scale-out, ${config.large} nodes`, async () => {
    log(`converging a ${config.large}-node lab cluster through terraform apply…`);
    const cluster = await startLabCluster('bbig', 89, config.large, config.runs);
    try {
      const lines = wanted('no-change') ? noChangeBenchmark(cluster, config.runs) : [];
      if (wanted('scale-out')) {
        log('adding workers to the large cluster…');
        scaleOut.push({ nodes: config.large, sample: addWorkerTimes(cluster, config.runs) });
      }
      return lines;
    } finally {
      await cluster.stop();
    }
  });
}
if (wanted('scale-out') && scaleOut.length === 1) {
  await section(`2. Scale-out, ${config.small} nodes`, async () => {
    const cluster = await startLabCluster('bsmall', 87, config.small, config.runs);
    try {
      scaleOut.unshift({ nodes: config.small, sample: addWorkerTimes(cluster, config.runs) });
      return scaleOutTable(scaleOut);
    } finally {
      await cluster.stop();
    }
  });
}
if (wanted('synth')) {
  await section('4. Synthesis', () => synthBenchmark({ sizes: config.synthSizes, runs: config.runs }));
}
if (wanted('validate')) {
  await section('5. herd validate', () => validateBenchmark({ sizes: config.validateSizes, runs: config.runs }));
}
if (wanted('preflight')) {
  await section('6. Preflight', () => preflightBenchmark({ sizes: quick ? [15, 100] : [15, 500], runs: config.runs }));
}
if (wanted('bgp')) {
  await section('7. BGP', () => bgpBenchmark({ runs: quick ? 1 : 3, workDir: mkdtempSync(join(tmpdir(), 'herd-bench-bgp-')) }));
}

const date = new Date().toISOString().slice(0, 10);
const order = (lines: string[]): number => Number(/^## (\d)/.exec(lines[0] ?? '')?.[1] ?? 9);
const report = [
  `# herd benchmarks, ${date}`,
  '',
  `\`npm run bench${quick ? ' -- --quick' : ''}\`: every figure below was taken in this one run, ${config.runs} runs each, ` +
    `in ${((Date.now() - started) / 60000).toFixed(1)} minutes. Absolute times on a shared 2-core machine are noisy; the ratios are the result.`,
  '',
  'Machine:',
  '',
  ...describeMachine(),
  '',
  ...sections.sort((a, b) => order(a) - order(b)).flat(),
].join('\n');
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${date}${quick ? '-quick' : ''}.md`);
writeFileSync(file, report);
process.stdout.write(`${report}\n`);
log(`written to ${file}`);
