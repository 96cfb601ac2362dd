import type { StateSpec } from './environment/schema.ts';

// Names of an environment's place in a shared backend, derived from the
// environment name when the file leaves them out. The stack (Terraform's
// backend) and herd apply (its own lock) must agree on them, so both read them here.

/** The PostgreSQL schema of an environment's state: one per environment, so that environments never share a row or a lock. */
export function pgSchemaName(env: string, state: Extract<StateSpec, { type: 'pg' }>): string {
  return state.schemaName ?? `herd_${env.replaceAll('-', '_')}`;
}

/** The S3 object key of an environment's state. */
export function s3StateKey(env: string, state: Extract<StateSpec, { type: 's3' }>): string {
  return state.key ?? `herd/${env}/terraform.tfstate`;
}
