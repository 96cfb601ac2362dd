import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';

// Each folder under broken/ holds one environment file (broken.yaml) that breaks
// one rule; its first two lines say the YAML path and the message expected.
const CORPUS = resolve(import.meta.dirname, 'broken');
const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function expectation(file: string): { path: string; message: string } {
  const text = readFileSync(file, 'utf8');
  const path = /^# expect-path: (.*)$/m.exec(text)?.[1];
  const message = /^# expect-message: (.*)$/m.exec(text)?.[1];
  if (path === undefined || message === undefined) throw new Error(`${file} lacks its expect-path/expect-message header`);
  return { path, message };
}

function configErrorOf(file: string): ConfigError {
  try {
    loadEnvironment(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('broken environment files', () => {
  it('the corpus has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s is rejected with its path and message', (name) => {
    const file = join(CORPUS, name, 'broken.yaml');
    const { path, message } = expectation(file);
    const error = configErrorOf(file);
    const matching = error.issues.filter((i) => i.path === path || (path === '(top level)' && i.path === ''));
    expect(matching.map((i) => i.message), error.message).toContainEqual(expect.stringContaining(message));
    for (const issue of matching) {
      expect(issue.file.startsWith(join(CORPUS, name))).toBe(true);
      expect(issue.line).toBeGreaterThan(0);
    }
  });
});
