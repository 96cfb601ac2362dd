import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { datastoreFromObjects, ResourceError, type CalicoDatastore } from './resources.ts';

// calicoctl and kubectl read YAML as YAML 1.1 (go-yaml through sigs.k8s.io/yaml): `yes` is a
// boolean, and a boolean or number where the API wants a string (a label value) becomes its
// text, so `node: yes` is the label node=true. Calico's own test inputs rely on both. go-yaml has
// no base-60 numbers or timestamps, so `5663:12` (a BGP community) stays a string.

function stringMap(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'boolean' || typeof v === 'number' ? String(v) : v]));
}

function withStringLabels(object: unknown): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return object;
  const metadata = (object as Record<string, unknown>)['metadata'];
  if (typeof metadata !== 'object' || metadata === null) return object;
  const meta = metadata as Record<string, unknown>;
  return { ...object, metadata: { ...meta, labels: stringMap(meta['labels']), annotations: stringMap(meta['annotations']) } };
}

/** The objects of a multi-document YAML text, as calicoctl would read them. */
export function parseCalicoYaml(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text, {
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || (tag.format !== 'TIME' && tag.tag !== 'tag:yaml.org,2002:timestamp')),
  });
  const objects: unknown[] = [];
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error) throw new ResourceError(`${where}: line ${error.linePos?.[0].line ?? '?'}: ${error.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(withStringLabels(value));
  }
  return objects;
}

/** Applies the resources of a YAML file onto a datastore (`calicoctl apply -f file`). */
export function applyYamlFile(path: string, base?: CalicoDatastore): CalicoDatastore {
  return datastoreFromObjects(parseCalicoYaml(readFileSync(path, 'utf8'), path), { where: path, ...(base ? { base } : {}) });
}
