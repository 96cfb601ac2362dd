import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RollRecord, progressFile, reached, readProgress } from '../../scripts/provisioner/roll/progress.ts';
import { environmentStateDir } from '../../stacks/project.ts';

// The roll's record of where each node is: written through after every step,
// by renaming a whole new file over the old, so a kill never leaves half a record.

const ENV = 'roll-progress-test';
afterEach(() => rmSync(environmentStateDir(ENV), { recursive: true, force: true }));

describe('the progress of a roll', () => {
  it('is on disk from the start, step by step, 0600, with no temporary file left', () => {
    const record = RollRecord.start(ENV, `herd roll ${ENV}`, [['a-cp-1'], ['a-w-1', 'a-w-2']]);
    expect(readProgress(ENV)).toMatchObject({ version: 1, env: ENV, command: `herd roll ${ENV}`, batches: [['a-cp-1'], ['a-w-1', 'a-w-2']], nodes: { 'a-w-1': { step: 'waiting' } } });
    record.step('a-cp-1', 'leaving', { oldHostKeys: ['SHA256:old'] });
    record.step('a-cp-1', 'out');
    const onDisk = readProgress(ENV)!;
    expect(onDisk.nodes['a-cp-1']).toMatchObject({ step: 'out', oldHostKeys: ['SHA256:old'] });
    expect(onDisk.finishedAt).toBeUndefined();
    record.finish();
    expect(readProgress(ENV)!.finishedAt).toMatch(/^\d{4}-/);
    expect(statSync(progressFile(ENV)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dirname(progressFile(ENV)))).toEqual(['roll.json']);
  });

  it('orders the steps', () => {
    expect(reached('replaced', 'out')).toBe(true);
    expect(reached('out', 'replaced')).toBe(false);
    expect(reached('done', 'done')).toBe(true);
    expect(reached('waiting', 'leaving')).toBe(false);
  });

  it('is absent until a roll starts', () => {
    expect(readProgress(ENV)).toBeUndefined();
  });
});
