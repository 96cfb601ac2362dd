import Handlebars from 'handlebars';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { shellWord, tomlString, yamlScalar } from './helpers.ts';
import { precompiled } from './precompiled.ts';

export const TEMPLATES_DIR = import.meta.dirname;

export type Template = (view: object) => string;

const OPTIONS = { strict: true, noEscape: true } as const;

/**
 * A Handlebars environment of its own (no global registrations leak between
 * users), strict so that a missing variable fails the render instead of
 * printing nothing, and without HTML escaping since nothing here is HTML.
 * Files starting with "_" are partials, named without the "_" and extension.
 */
export function createEngine(dir: string = TEMPLATES_DIR): (name: string) => Template {
  const hbs = Handlebars.create();
  hbs.registerHelper('shell', (value: unknown) => shellWord(value));
  hbs.registerHelper('yaml', (value: unknown) => yamlScalar(value));
  hbs.registerHelper('toml', (value: unknown) => tomlString(value));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // Handlebars passes its options object last; only the real arguments are joined.
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  hbs.registerHelper('string', (value: unknown) => String(value));
  const files = readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort();
  const load = (file: string): HandlebarsTemplateDelegate => {
    try {
      return precompiled(hbs, readFileSync(join(dir, file), 'utf8'), OPTIONS);
    } catch (err) {
      throw new Error(`templates/${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  for (const file of files.filter((f) => f.startsWith('_'))) hbs.registerPartial(file.slice(1).replace(/\..*$/, ''), load(file));
  const compiled = new Map<string, Template>();
  return (name: string): Template => {
    let template = compiled.get(name);
    if (template === undefined) {
      const fn = load(`${name}.hbs`);
      template = (view: object): string => {
        try {
          return fn(view);
        } catch (err) {
          throw new Error(`templates/${name}.hbs: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      compiled.set(name, template);
    }
    return template;
  };
}
