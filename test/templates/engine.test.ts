import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createEngine } from '../../templates/engine.ts';
import { PROJECT_DIR } from '../../stacks/project.ts';
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

  it('names the file of a template that does not parse', () => {
    const engine = engineWith({ 'x.hbs': 'a {{#if v}} b\n' });
    expect(() => engine('x')).toThrow(/^templates\/x\.hbs: Parse error on line \d+:/);
    expect(() => engineWith({ '_p.hbs': '{{/if}}', 'x.hbs': '{{> p}}' })).toThrow(/^templates\/_p\.hbs: Parse error on line \d+:/);
  });

  it('renders the same from the compiled form it cached as from the text, and a changed text anew', () => {
    const marker = `cache-check-${process.pid}-${Date.now()}`;
    const text = `{{#each items}}{{shell this}}{{#unless @last}} {{/unless}}{{/each}} {{> p}} ${marker}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'herd-engine-'));
    writeFileSync(join(dir, '_p.hbs'), 'from {{yaml origin}}');
    writeFileSync(join(dir, 'x.hbs'), text);
    const view = { items: ['a b', "it's"], origin: 'no' };
    const first = createEngine(dir)('x')(view);
    expect(first).toBe(`'a b' "it's" from no ${marker}\n`);
    // Its compiled form is in herd's cache (the text is compiled into it).
    const cache = join(PROJECT_DIR, '.herd', 'cache', 'templates');
    expect(readdirSync(cache).filter((f) => readFileSync(join(cache, f), 'utf8').includes(marker))).toHaveLength(1);
    expect(createEngine(dir)('x')(view)).toBe(first);
    writeFileSync(join(dir, 'x.hbs'), text.replace(' {{> p}}', ' and {{> p}}'));
    writeFileSync(join(dir, '_p.hbs'), 'to {{yaml origin}}!');
    expect(createEngine(dir)('x')(view)).toBe(`'a b' "it's" and to no! ${marker}\n`);
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
