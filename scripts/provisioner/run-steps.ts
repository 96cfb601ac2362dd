import type { PlannedStep, RunContext } from './context.ts';

export class PhaseFailedError extends Error {
  constructor(
    readonly phase: string,
    readonly failures: readonly { step: PlannedStep; error: Error }[],
  ) {
    super(`${phase}: ${failures.length} step${failures.length === 1 ? '' : 's'} failed:\n${failures.map((f) => `  ${f.error.message.replaceAll('\n', '\n    ')}`).join('\n')}`);
    this.name = 'PhaseFailedError';
  }
}

/**
 * Runs a phase's steps, in parallel within the run's limit or one at a time.
 * A failing step does not stop the others of its phase (they finish what they
 * started), but the phase then fails, so that no later phase starts.
 */
export async function runSteps(
  ctx: RunContext,
  phase: string,
  steps: readonly PlannedStep[],
  act: (step: PlannedStep) => Promise<void>,
  order: 'parallel' | 'one at a time' = 'parallel',
): Promise<void> {
  const failures: { step: PlannedStep; error: Error }[] = [];
  const one = async (step: PlannedStep): Promise<void> => {
    const started = performance.now();
    ctx.reporter.stepStarted(step.host, phase, step.step);
    try {
      await act(step);
      ctx.reporter.stepFinished({ ...step, phase, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      failures.push({ step, error });
      ctx.reporter.stepFinished({ ...step, phase, outcome: 'failed', seconds: (performance.now() - started) / 1000, detail: error.message });
    }
  };
  if (order === 'parallel') {
    await Promise.all(steps.map((s) => ctx.limit(() => one(s))));
  } else {
    for (const s of steps) {
      await one(s);
      if (failures.length > 0) break;
    }
  }
  if (failures.length > 0) throw new PhaseFailedError(phase, failures);
}
