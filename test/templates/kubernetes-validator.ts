import * as models from '@kubernetes/client-node/dist/gen/models/all.js';

// Validates rendered Kubernetes objects against the Kubernetes API's own OpenAPI definitions, the
// way `kubectl apply --validate=strict` would: a field the API does not define is an error (a
// misspelt `imagePullPolicy` must fail), and so is a value of the wrong type.
//
// The definitions come from @kubernetes/client-node, the Kubernetes project's JavaScript client,
// whose models are generated from the API server's OpenAPI document of one release (1.4.x: v1.34.0);
// each model lists its fields with their JSON names, types and formats (attributeTypeMap). Those
// models do not keep which fields are required, so a missing field is not caught here.

/** The Kubernetes minor whose OpenAPI document the client's models were generated from. */
export const KUBERNETES_SCHEMA_MINOR = 34;

interface Attribute {
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface Model {
  getAttributeTypeMap(): readonly Attribute[];
}

const MODELS = models as unknown as Record<string, Model | undefined>;

const MAP = /^\{ \[key: string\]: (.+); \}$/;
const ARRAY = /^Array<(.+)>$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function check(value: unknown, type: string, format: string, at: string, errors: string[]): void {
  // The API server reads an explicit null as "not set" for every optional field.
  if (value === null) return;
  const where = at || '/';
  const map = MAP.exec(type);
  const array = ARRAY.exec(type);
  if (map) {
    if (!isObject(value)) errors.push(`${where} must be object`);
    else for (const [key, item] of Object.entries(value)) check(item, map[1]!, '', `${at}/${key}`, errors);
    return;
  }
  if (array) {
    if (!Array.isArray(value)) errors.push(`${where} must be array`);
    else value.forEach((item, i) => check(item, array[1]!, '', `${at}/${i}`, errors));
    return;
  }
  switch (type) {
    case 'any':
      return;
    case 'string':
    case 'Date':
      if (typeof value !== 'string') errors.push(`${where} must be string`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${where} must be boolean`);
      return;
    case 'number':
      if (typeof value !== 'number' || ((format === 'int32' || format === 'int64') && !Number.isInteger(value))) errors.push(`${where} must be ${format === '' ? 'number' : format}`);
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) errors.push(`${where} must be an integer or a string`);
      return;
  }
  const model = MODELS[type];
  if (model === undefined) throw new Error(`the Kubernetes client's models have no type ${type}`);
  if (!isObject(value)) {
    errors.push(`${where} must be object`);
    return;
  }
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a]));
  for (const [key, item] of Object.entries(value)) {
    const attribute = attributes.get(key);
    if (attribute === undefined) errors.push(`${where} must NOT have additional properties "${key}"`);
    else check(item, attribute.type, attribute.format, `${at}/${key}`, errors);
  }
}

/** The model of an apiVersion and kind: V1Pod for v1 Pod, V1Role for rbac.authorization.k8s.io/v1 Role. */
function modelName(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const v = `${version![0]!.toUpperCase()}${version!.slice(1)}`;
  const groupPrefix = group === '' ? 'Core' : `${group![0]!.toUpperCase()}${group!.split('.')[0]!.slice(1)}`;
  // The generator prefixes a kind's name with its group only where two groups share the name.
  return [`${groupPrefix}${v}${kind}`, `${v}${kind}`].find((name) => MODELS[name] !== undefined);
}

/** Every problem with one object, as "<path> <message>"; empty when valid. Throws for a kind the API does not have. */
export function validateKubernetesObject(resource: unknown): string[] {
  const { apiVersion, kind } = resource as { apiVersion?: string; kind?: string };
  const name = apiVersion !== undefined && kind !== undefined ? modelName(apiVersion, kind) : undefined;
  if (name === undefined) throw new Error(`the Kubernetes 1.${KUBERNETES_SCHEMA_MINOR} API has no ${apiVersion} ${kind}`);
  const errors: string[] = [];
  check(resource, name, '', '', errors);
  return errors;
}
