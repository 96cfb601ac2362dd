import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createEngine } from '../../templates/engine.ts';
import { shellWord, tomlString, yamlScalar } from '../../templates/helpers.ts';
import { run } from './tools.ts';

function engineWith(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'herd-engine-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return createEngine(dir);
}

describe('the template engine', () => {
  it('fails on a missing variable instead of printing nothing', () => {
    const template = engineWith({ 'x.hbs': 'endpoint={{endpoint.address}}\n' })('x');
    expect(() => template({ endpoint: {} })).toThrow('templates/x.hbs: "address" not defined in [object Object] - 1:11');
  });

  it('fails on a missing variable inside a partial too', () => {
    const template = engineWith({ '_p.hbs': '{{nope}}', 'x.hbs': 'a {{> p}}' })('x');
    expect(() => template({})).toThrow('"nope" not defined');
  });

  it('does not HTML-escape', () => {
    expect(engineWith({ 'x.hbs': '{{v}}' })('x')({ v: `a<b>&"c'` })).toBe(`a<b>&"c'`);
  });
});

describe('the shell helper', () => {
  const nasty = ['a b', "it's", '$(touch /tmp/pwned)', '`id`', 'x; rm -rf /', 'a\nb', '*', '~root', '=x', '', '"q"', 'tab\there', '!event'];

  it.each(nasty)('quotes %j so that bash reads back exactly it', (value) => {
    expect(run('bash', ['-c', `printf '%s' ${shellWord(value)}`]).output).toBe(value);
  });

  it('leaves words with nothing special to bash readable', () => {
    expect(shellWord('https://pkgs.k8s.io/core:/stable:/v1.34/deb/')).toBe('https://pkgs.k8s.io/core:/stable:/v1.34/deb/');
    expect(shellWord('1.34.2-1.1')).toBe('1.34.2-1.1');
    expect(shellWord(6443)).toBe('6443');
  });

  it('refuses values that are not scalars', () => {
    expect(() => shellWord(undefined)).toThrow('the shell helper takes a string, number or boolean, not undefined');
    expect(() => shellWord({})).toThrow('not object');
  });
});

describe('the YAML and TOML helpers', () => {
  it.each(['true', 'no', '0123', '1.5', 'a: b', '- x', '#c', '!!str', '*ref', "it's", 'plain', '10.0.0.0/8'])('%j survives a YAML round trip', (value) => {
    expect(parseYaml(`key: ${yamlScalar(value)}\n`)).toEqual({ key: value });
  });

  it('quotes TOML strings', () => {
    expect(tomlString('registry.k8s.io/pause:3.10.1')).toBe('"registry.k8s.io/pause:3.10.1"');
    expect(tomlString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});
