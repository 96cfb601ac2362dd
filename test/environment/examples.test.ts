import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { listEnvironments, loadEnvironmentByName } from '../../stacks/environment/load.ts';
import { README_FILE, SCHEMA_FILE, readmeWithReference, schemaFileText } from '../../scripts/cli/commands/schema.ts';

describe('example environments', () => {
  it('are lab, dev and prod', () => {
    expect(listEnvironments()).toEqual(['dev', 'lab', 'prod']);
  });

  it.each(['lab', 'dev', 'prod'])('%s is valid', (name) => {
    expect(loadEnvironmentByName(name).name).toBe(name);
  });

  it('the committed JSON Schema is the one the zod schema generates (run `npx herd schema --write`)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaFileText());
  });

  it('the README field reference is the one the schema generates (run `npx herd schema --write`)', () => {
    const readme = readFileSync(README_FILE, 'utf8');
    expect(readme).toBe(readmeWithReference(readme));
  });
});
