// Every benchmark of issues 8 and 17 in one run, side by side on the same
// machine, each figure repeated; writes bench/results/<YYYY-MM-DD>.md and
// prints it (a run with --only keeps the sections other runs wrote there that
// day). Needs root (the lab). Benchmarks report; they never fail on a time.
//
//   npm run bench                 # the full run
//   npm run bench -- --quick      # fewer runs, smaller N: for trying it out
//   npm run bench -- --only fan-out,synth
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fanOutBenchmark, type HandshakeCpu } from './fan-out.ts';
import { noChangeBenchmark } from './no-change.ts';
import { noChangeApplyTable, noChangeApplyTimes } from './no-change-apply.ts';
import { readRoundTrips, roundTripTable, type RoundTripScenario } from './round-trips.ts';
import { SCALE_OUT_MODES, addWorkerTimes, scaleOutTable, type AddWorker } from './scale-out.ts';
import { synthBenchmark } from './synth.ts';
import { validateBenchmark } from './validate.ts';
import { preflightBenchmark } from './preflight.ts';
import { bgpBenchmark } from './bgp.ts';
import { startLabCluster, type LabCluster } from './lib/lab-cluster.ts';
import { herdApplyRun } from './lib/herd-cli.ts';
import { describeMachine } from './lib/machine.ts';
import { mergeRuns, readRuns, renderReport, type ReportRun } from './lib/report-file.ts';
import type { Sample } from './lib/stats.ts';

const BENCHMARKS = ['fan-out', 'scale-out', 'no-change', 'synth', 'validate', 'preflight', 'bgp'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
const only = new Set((values.only ?? BENCHMARKS.join(',')).split(','));
for (const name of only) if (!(BENCHMARKS as readonly string[]).includes(name)) throw new Error(`--only: unknown benchmark ${name} (one of ${BENCHMARKS.join(', ')})`);
const wanted = (name: Benchmark): boolean => only.has(name);

const config = quick
  ? { runs: 2, sweepRuns: 1, fanOutSizes: [10], handshakes: 10, small: 3, mid: 5, large: 10, synthSizes: [10, 100, 1000], validateSizes: [100, 1000] }
  : { runs: 5, sweepRuns: 3, fanOutSizes: [25, 50], handshakes: 40, small: 5, mid: 25, large: 50, synthSizes: [10, 100, 1000, 5000], validateSizes: [100, 1000, 5000] };
/** The small cluster starts a patch below the table's default, so that an upgrade's round trips are counted too. */
const UPGRADE = { from: '1.36.3', to: '1.36.4' };

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
    log(`${title} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    sections.push([`## ${title}`, '', `Failed: ${err instanceof Error ? err.message : String(err)}`.replaceAll('\n', '\n    '), '']);
  }
}

/** Starts a converged lab cluster, runs `fn` on it, stops it whatever happens. */
async function onCluster<T>(env: string, net: number, nodes: number, spares: number, fn: (cluster: LabCluster) => Promise<T>, kubernetes?: string): Promise<T> {
  log(`converging a ${nodes}-node lab cluster through terraform apply…`);
  const cluster = await startLabCluster(env, net, nodes, spares, kubernetes === undefined ? {} : { kubernetes });
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

let handshake: HandshakeCpu | undefined;
if (wanted('fan-out')) {
  await section('1. SSH fan-out', async () => {
    const result = await fanOutBenchmark({ sizes: config.fanOutSizes, runs: config.sweepRuns, handshakes: config.handshakes });
    handshake = result.handshake;
    return result.lines;
  });
}

const noChange = new Map<string, Sample>();
const scaleOut: { nodes: number; byMode: AddWorker[] }[] = [];
const scenarios: RoundTripScenario[] = [];
const addWorkers = (cluster: LabCluster): AddWorker[] => SCALE_OUT_MODES.map((mode) => addWorkerTimes(cluster, config.runs, mode.flags));
const spares = SCALE_OUT_MODES.length * config.runs;

if (wanted('no-change')) {
  await section(`3a. No-change apply, ${config.mid} nodes`, () =>
    onCluster('bmid', 86, config.mid, 0, async (cluster) => {
      for (const [k, v] of await noChangeApplyTimes(cluster, { runs: config.sweepRuns, handshake })) noChange.set(k, v);
      return [];
    }),
  );
}
// The large cluster serves the no-change apply and deploy and the scale-out; it has spare hosts for the latter.
if (wanted('no-change') || wanted('scale-out')) {
  await section(`3. No-change apply and deploy / 2. scale-out, ${config.large} nodes`, () =>
    onCluster('bbig', 89, config.large, spares, async (cluster) => {
      const lines: string[] = [];
      if (wanted('no-change')) {
        for (const [k, v] of await noChangeApplyTimes(cluster, { runs: config.sweepRuns, handshake })) noChange.set(k, v);
        lines.push(...noChangeBenchmark(cluster, config.runs));
        const roles = { [`${cluster.env}-cp-1`]: 'control plane' };
        scenarios.push({ title: `A no-change \`herd apply\`, ${config.large} nodes`, counts: readRoundTrips(herdApplyRun(cluster.projectDir, cluster.env).logDir), roles });
      }
      if (wanted('scale-out')) {
        log('adding workers to the large cluster…');
        const byMode = addWorkers(cluster);
        scaleOut.push({ nodes: config.large, byMode });
        scenarios.push({
          title: `Adding a worker to a ${config.large}-node cluster with \`--only-changed\` (what \`cdktf deploy\` runs)`,
          counts: readRoundTrips(byMode[0]!.lastLogDir),
          roles: { [`${cluster.env}-cp-1`]: 'control plane', [`${cluster.env}-worker-${cluster.workers - config.runs}`]: 'new worker' },
        });
      }
      return lines;
    }),
  );
}
if (wanted('no-change') && noChange.size > 0) {
  sections.push(noChangeApplyTable(noChange, [config.mid, config.large], { runs: config.sweepRuns, handshake }));
}
if (wanted('scale-out') && scaleOut.length === 1) {
  await section(`2. Scale-out, ${config.small} nodes`, () =>
    onCluster(
      'bsmall',
      87,
      config.small,
      spares,
      async (cluster) => {
        scaleOut.unshift({ nodes: config.small, byMode: addWorkers(cluster) });
        log(`upgrading the small cluster from Kubernetes ${UPGRADE.from} to ${UPGRADE.to}…`);
        cluster.setKubernetes(UPGRADE.to);
        const upgrade = herdApplyRun(cluster.projectDir, cluster.env, ['--only-changed']);
        scenarios.push({
          title: `An upgrade, Kubernetes ${UPGRADE.from} → ${UPGRADE.to}, ${cluster.workers + 1} nodes, one worker at a time (${upgrade.seconds.toFixed(1)} s on loopback)`,
          counts: readRoundTrips(upgrade.logDir),
          roles: { [`${cluster.env}-cp-1`]: 'control plane', [`${cluster.env}-worker-1`]: 'a worker' },
        });
        return scaleOutTable(scaleOut, config.runs);
      },
      UPGRADE.from,
    ),
  );
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
if (scenarios.length > 0) await section('8. Round trips', () => roundTripTable(scenarios));

const date = new Date().toISOString().slice(0, 10);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${date}${quick ? '-quick' : ''}.md`);
const command = `\`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``;
const run: ReportRun = {
  summary: `${command}: ${config.runs} runs each${wanted('fan-out') || wanted('no-change') ? ` (${config.sweepRuns} at each round-trip time)` : ''}, in ${((Date.now() - started) / 60000).toFixed(1)} minutes, finished ${new Date().toISOString().slice(11, 16)} UTC`,
  sections,
};
// A run of some benchmarks (--only) leaves the day's other sections in place; a full run replaces the file.
const report = renderReport({ title: `# herd benchmarks, ${date}`, runs: mergeRuns(readRuns(file), run, values.only !== undefined), machine: describeMachine() });
writeFileSync(file, report);
process.stdout.write(`${report}\n`);
log(`written to ${file}`);
