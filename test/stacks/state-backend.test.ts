import { describe, expect, it } from 'vitest';
import type { StateSpec } from '../../stacks/environment/schema.ts';
import { exampleCluster, synthJson, type Json } from './synth.ts';

// The backend block each `state` choice synthesizes, as Terraform reads it. The
// reviewer reads the snapshot; the assertions pin what must never change: no
// connection secret or credential in the JSON, and one place per environment.

function backendOf(name: string, state: StateSpec): Json {
  const json = synthJson(exampleCluster(name, (spec) => (spec.state = state)));
  return (json['terraform'] as Json)['backend'] as Json;
}

const CHOICES: Record<string, StateSpec> = {
  'local (default)': { type: 'local' },
  'pg, default schema': { type: 'pg' },
  'pg, own schema': { type: 'pg', schemaName: 'ops_prod' },
  's3 with its lock file': { type: 's3', bucket: 'ops-terraform', region: 'eu-central-1', useLockfile: true },
  's3-compatible with a DynamoDB table': {
    type: 's3',
    bucket: 'ops-terraform',
    key: 'clusters/prod.tfstate',
    region: 'us-east-1',
    endpoint: 'https://minio.example.com:9000',
    useLockfile: false,
    dynamodbTable: 'terraform-locks',
  },
  http: { type: 'http', address: 'https://state.example.com/herd/prod', lockAddress: 'https://state.example.com/herd/prod/lock' },
};

describe('state backends', () => {
  it('synthesize Terraform’s own backend blocks', async () => {
    const text = Object.entries(CHOICES)
      .map(([title, state]) => `# ${title}\n${JSON.stringify(backendOf('prod', state), null, 2)}\n`)
      .join('\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/state-backends.txt');
  });

  it('pg: one schema per environment, the connection string left to PG_CONN_STR', () => {
    expect(backendOf('prod', { type: 'pg' })).toEqual({ pg: { schema_name: 'herd_prod' } });
    expect(backendOf('dev', { type: 'pg' })).toEqual({ pg: { schema_name: 'herd_dev' } });
  });

  it('s3 and http: one object per environment, credentials left to the backends’ environment variables', () => {
    const s3 = backendOf('dev', CHOICES['s3 with its lock file']!)['s3'] as Json;
    expect(s3['key']).toBe('herd/dev/terraform.tfstate');
    const http = backendOf('dev', CHOICES['http']!)['http'] as Json;
    expect(http['unlock_address']).toBe(http['lock_address']);
    for (const state of Object.values(CHOICES)) {
      expect(JSON.stringify(backendOf('prod', state))).not.toMatch(/conn_str|password|username|access_key|secret_key|token/);
    }
  });
});
