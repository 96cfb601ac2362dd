import { describe, expect, it } from 'vitest';
import { mergeRuns, parseReport, renderReport, sectionKey, type ReportRun } from '../../bench/lib/report-file.ts';

const synth: ReportRun = { summary: '`npm run bench -- --only synth`: 5 runs each, in 6.0 minutes, finished 14:10 UTC', sections: [['## 4. Synthesis', '', '| 5000 | 3.10 |', '']] };
const scaleOut: ReportRun = {
  summary: '`npm run bench -- --only scale-out`: 5 runs each, in 12.0 minutes, finished 14:30 UTC',
  sections: [['## 8. Round trips per host', '', 'counts', ''], ['## 2. Scale-out', '', '| ratio | 1.05× |', '']],
};
const machine = ['- CPU: test, 2 cores'];

describe('the results file', () => {
  it('keeps the sections of an earlier --only run that this run did not write, each under its own run', () => {
    const text = renderReport({ title: '# herd benchmarks, 2026-12-01', runs: mergeRuns(parseReport(renderReport({ title: '# t', runs: [synth], machine })), scaleOut, true), machine });
    expect(text).toContain('- `npm run bench -- --only synth`: 5 runs each, in 6.0 minutes, finished 14:10 UTC; section 4.');
    expect(text).toContain('- `npm run bench -- --only scale-out`: 5 runs each, in 12.0 minutes, finished 14:30 UTC; sections 8, 2.');
    const headings = text.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## 2. Scale-out', '## 4. Synthesis', '## 8. Round trips per host']);
    expect(text).toContain('| 5000 | 3.10 |');
  });

  it('replaces an earlier run’s section when the same section runs again, and drops a run left with none', () => {
    const again: ReportRun = { ...synth, summary: '`npm run bench -- --only synth`: 5 runs each, in 5.0 minutes, finished 15:00 UTC', sections: [['## 4. Synthesis', '', '| 5000 | 2.90 |', '']] };
    const runs = mergeRuns(parseReport(renderReport({ title: '# t', runs: [synth, scaleOut], machine })), again, true);
    expect(runs.map((r) => r.summary)).toEqual([scaleOut.summary, again.summary]);
    const text = renderReport({ title: '# t', runs, machine });
    expect(text).toContain('| 5000 | 2.90 |');
    expect(text).not.toContain('| 5000 | 3.10 |');
  });

  it('is replaced whole by a full run, and a file without run lines keeps nothing', () => {
    expect(mergeRuns([synth, scaleOut], synth, false)).toEqual([synth]);
    expect(parseReport('# herd benchmarks\n\nsome paragraph\n\n## 4. Synthesis\n\n| x |\n')).toEqual([]);
  });

  it('numbers a section by its heading, unnumbered ones last', () => {
    expect(sectionKey(['## 3a. No-change apply'])).toBe('3a');
    expect(sectionKey(['## Notes'])).toBe('9');
  });
});
