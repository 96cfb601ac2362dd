// 5. `herd validate`: the work after start-up (loading, schema, cross-field checks) for the
// examples and for prod-like environments up to 1,000 nodes, valid and with two mistakes (a
// rejected value and an address collision, so that the partial-parse path is measured too);
// and the command's wall time, start-up included, against `herd --help`'s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { environmentFile, loadEnvironment } from '../stacks/environment/load.ts';
import { ConfigError } from '../stacks/environment/errors.ts';
import { PROJECT_DIR } from '../stacks/project.ts';
import { writeVsphereEnvironment } from './synth.ts';
import { formatSeconds, repeat, timed, type Sample } from './lib/stats.ts';

export interface ValidateOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
}

/** Seconds to load and check one file; a broken file must be refused. */
function load(file: string, broken: boolean): Promise<number> {
  return timed(() => {
    try {
      loadEnvironment(file);
    } catch (err) {
      if (broken && err instanceof ConfigError) return;
      throw err;
    }
    if (broken) throw new Error(`${file} was accepted`);
  });
}

/** The same environment with a gateway that is not an address and a BGP peer at the first worker's address. */
function writeBroken(dir: string, valid: string): string {
  const env = parse(readFileSync(valid, 'utf8')) as { network: Record<string, unknown>; calico?: Record<string, unknown> };
  env.network['gateway'] = '10.64.0.one';
  env.calico = { bgp: { peers: [{ name: 'tor', address: '10.64.0.15', asNumber: 65001 }] } };
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, stringify(env));
  return file;
}

function cliSeconds(args: readonly string[]): number {
  const start = performance.now();
  const r = spawnSync('node', [join(PROJECT_DIR, 'bin/herd.mjs'), ...args], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 2) throw new Error(`herd ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return (performance.now() - start) / 1000;
}

export async function validateBenchmark(options: ValidateOptions): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'herd-bench-validate-'));
  try {
    const rows: { what: string; sample: Sample }[] = [];
    for (const name of ['lab', 'dev', 'prod']) {
      const file = environmentFile(name);
      await load(file, false);
      rows.push({ what: `${name}.yaml`, sample: await repeat(options.runs, () => load(file, false)) });
    }
    for (const nodes of options.sizes) {
      const dir = mkdtempSync(join(work, `env-${nodes}-`));
      const valid = writeVsphereEnvironment(dir, `bval${nodes}`, nodes);
      const broken = writeBroken(dir, valid);
      await load(valid, false);
      rows.push({ what: `${nodes} nodes, valid`, sample: await repeat(options.runs, () => load(valid, false)) });
      await load(broken, true);
      rows.push({ what: `${nodes} nodes, two mistakes`, sample: await repeat(options.runs, () => load(broken, true)) });
    }
    const help = await repeat(options.runs, () => cliSeconds(['--help']));
    const examples = await repeat(options.runs, () => cliSeconds(['validate', 'lab', 'dev', 'prod']));
    return [
      '## 5. `herd validate`',
      '',
      `Seconds, median (min–max) of ${options.runs} runs. In-process: \`loadEnvironment\` after one warm-up run, the work`,
      'after start-up (read, merge `extends`, schema, cross-field checks). The large environments are the synthesis',
      "benchmark's (3 control planes, 4 worker pools); the broken one has a gateway that is not an address and a BGP peer",
      "at a node's address, so the checks run past a schema error.",
      '',
      '| file | in-process |',
      '| --- | --- |',
      ...rows.map((r) => `| ${r.what} | ${formatSeconds(r.sample, 4)} |`),
      '',
      `\`herd validate lab dev prod\` wall time, start-up included: ${formatSeconds(examples)}; \`herd --help\`: ${formatSeconds(help)}.`,
      '',
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
