import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allArtifacts } from '../../templates/render.ts';
import { ALL_CASES, renderedCase } from './cases.ts';
import { run, writeDistinct } from './tools.ts';

const scripts = writeDistinct((a) => a.path.endsWith('.sh'));

describe('rendered scripts', () => {
  it('cover every script kind', () => {
    const kinds = new Set(scripts.files.map((f) => f.origin.split('/').at(-1)));
    expect([...kinds].sort()).toEqual(['apply-calico.sh', 'drain-node.sh', 'etcd-members.sh', 'init-control-plane.sh', 'issue-join-credentials.sh', 'join-control-plane.sh', 'join-worker.sh', 'prepare-node.sh', 'remove-node.sh', 'reset-node.sh', 'upgrade-node.sh']);
  });

  it('pass shellcheck', () => {
    const result = run('shellcheck', ['--shell=bash', '--external-sources', ...scripts.files.map((f) => f.file)]);
    const origins = scripts.files.map((f) => `${f.file} = ${f.origin}`).join('\n');
    expect(result.output, origins).toBe('');
    expect(result.status).toBe(0);
  });

  it('parse with bash', () => {
    for (const { file, origin } of scripts.files) expect(run('bash', ['-n', file]), origin).toEqual({ status: 0, output: '' });
  });

  it('say why wherever they silence shellcheck', () => {
    for (const { file, origin } of scripts.files) {
      const content = readFileSync(file, 'utf8');
      for (const line of content.split('\n').filter((l) => l.includes('shellcheck '))) {
        expect(line, origin).toMatch(/# shellcheck (disable=SC\d+|source=\S+) # \S.{10,}/);
      }
    }
  });

  it('start strict and are executable', () => {
    for (const name of ALL_CASES) {
      for (const a of allArtifacts(renderedCase(name)).filter((x) => x.path.endsWith('.sh'))) {
        expect(a.content.startsWith('#!/usr/bin/env bash\n'), a.path).toBe(true);
        expect(a.content, a.path).toContain('\nset -euo pipefail\n');
        expect(a.mode, a.path).toBe(0o755);
      }
    }
  });

  it('the shellcheck run can fail: an unquoted expansion is reported', () => {
    const bad = join(scripts.dir, 'bad.sh');
    writeFileSync(bad, '#!/usr/bin/env bash\nset -euo pipefail\nrm -f $1\n');
    const result = run('shellcheck', ['--shell=bash', bad]);
    expect(result.status).toBe(1);
    expect(result.output).toContain('SC2086');
  });
});
