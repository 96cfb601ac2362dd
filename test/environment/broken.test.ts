import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';

// Each folder under broken/ holds one environment file (broken.yaml) that breaks
// one rule; its first three lines say the YAML path, the line and the message expected.
const CORPUS = resolve(import.meta.dirname, 'broken');
const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function expectation(file: string): { path: string; line: number; message: string } {
  const text = readFileSync(file, 'utf8');
  const path = /^# expect-path: (.*)$/m.exec(text)?.[1];
  const line = /^# expect-line: ([0-9]+)$/m.exec(text)?.[1];
  const message = /^# expect-message: (.*)$/m.exec(text)?.[1];
  if (path === undefined || line === undefined || message === undefined) throw new Error(`${file} lacks its expect-path/expect-line/expect-message header`);
  return { path, line: Number(line), message };
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

  it.each(cases)('%s is rejected with its path, line and message, and nothing else', (name) => {
    const file = join(CORPUS, name, 'broken.yaml');
    const { path, line, message } = expectation(file);
    const error = configErrorOf(file);
    // One mistake, one problem: a follow-on error would be a second.
    expect(error.issues, error.message).toHaveLength(1);
    const [issue] = error.issues;
    expect(issue!.path || '(top level)', error.message).toBe(path);
    expect(issue!.message, error.message).toContain(message);
    expect(issue!.file.startsWith(join(CORPUS, name)), error.message).toBe(true);
    expect(issue!.line, error.message).toBe(line);
  });
});
