import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentStateDir } from '../../../stacks/project.ts';

/**
 * Where a node is in its replacement, in order. A step is recorded once it is
 * reached, so a run killed at any moment resumes the node from the last step
 * it recorded, and checks the cluster and the host before it acts again:
 * - `leaving`: drain and removal began (it may be cordoned, drained, or out already);
 * - `out`: out of the cluster and reset: its machine can be replaced;
 * - `replaced`: the new machine answers over SSH;
 * - `joined`: it joined the cluster again;
 * - `done`: Ready and schedulable (and, for a control plane, etcd healthy with it).
 */
export type NodeStep = 'waiting' | 'leaving' | 'out' | 'replaced' | 'joined' | 'done';

const ORDER: readonly NodeStep[] = ['waiting', 'leaving', 'out', 'replaced', 'joined', 'done'];

/** Whether a node recorded at `step` has already passed `than`. */
export const reached = (step: NodeStep, than: NodeStep): boolean => ORDER.indexOf(step) >= ORDER.indexOf(than);

export interface NodeProgress {
  readonly step: NodeStep;
  /** When the step was reached. */
  readonly at?: string;
  /** The host keys (SHA256 fingerprints) of the machine that left: a new machine offers others. */
  readonly oldHostKeys?: readonly string[];
}

/** Where a pool's surge machines are (herd roll --surge): being added, up and joined, being removed, gone. */
export type SurgeStep = 'adding' | 'up' | 'removing' | 'gone';

/** One roll (or node replacement) of an environment, as `.herd/<env>/roll.json` records it. */
export interface RollProgress {
  readonly version: 1;
  readonly env: string;
  /** The command that started it, to finish it with: `herd roll lab --pool worker`. */
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Node names, batch by batch, in the order they leave. */
  readonly batches: readonly (readonly string[])[];
  readonly nodes: Readonly<Record<string, NodeProgress>>;
  /** Per pool rolled with surge. */
  readonly surge?: Readonly<Record<string, SurgeStep>>;
}

export const progressFile = (env: string): string => join(environmentStateDir(env), 'roll.json');

export function readProgress(env: string): RollProgress | undefined {
  try {
    return JSON.parse(readFileSync(progressFile(env), 'utf8')) as RollProgress;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${progressFile(env)}: ${(err as Error).message}`);
  }
}

/**
 * The progress of the roll in hand, written through to its file after every
 * step: a new file is renamed over the old, so that a run killed while
 * writing leaves the previous record whole.
 */
export class RollRecord {
  #progress: RollProgress;

  constructor(progress: RollProgress) {
    this.#progress = progress;
  }

  static start(env: string, command: string, batches: readonly (readonly string[])[]): RollRecord {
    const nodes = Object.fromEntries(batches.flat().map((name) => [name, { step: 'waiting' } satisfies NodeProgress]));
    const record = new RollRecord({ version: 1, env, command, startedAt: new Date().toISOString(), batches, nodes });
    record.#write();
    return record;
  }

  get progress(): RollProgress {
    return this.#progress;
  }

  node(name: string): NodeProgress {
    return this.#progress.nodes[name] ?? { step: 'waiting' };
  }

  step(name: string, step: NodeStep, extra: Partial<Omit<NodeProgress, 'step' | 'at'>> = {}): void {
    const nodes = { ...this.#progress.nodes, [name]: { ...this.node(name), ...extra, step, at: new Date().toISOString() } };
    this.#progress = { ...this.#progress, nodes };
    this.#write();
  }

  surgeStep(pool: string, step: SurgeStep): void {
    this.#progress = { ...this.#progress, surge: { ...this.#progress.surge, [pool]: step } };
    this.#write();
  }

  /** Pools whose surge machines exist (or may, half-way through adding or removing them). */
  get surgeUp(): string[] {
    return Object.entries(this.#progress.surge ?? {}).filter(([, step]) => step !== 'gone').map(([pool]) => pool);
  }

  finish(): void {
    this.#progress = { ...this.#progress, finishedAt: new Date().toISOString() };
    this.#write();
  }

  #write(): void {
    const file = progressFile(this.#progress.env);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#progress, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }
}
