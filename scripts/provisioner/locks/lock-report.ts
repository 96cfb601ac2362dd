import { hostname, userInfo } from 'node:os';
import type { Environment } from '../../../stacks/environment/load.ts';
import { pgSchemaName } from '../../../stacks/state-location.ts';
import { fileLockHolder } from './file-lock.ts';
import { describeHolder } from './holder.ts';
import { lockFile, pgConnStr } from './environment-lock.ts';
import { herdLockHolder, pgClient, pgConnectionConfig, terraformStateLockHolder } from './pg-lock.ts';

/**
 * Who holds an environment's locks right now, one line each: what an operator
 * asks when a deploy or an apply was refused. Terraform's pg backend keeps no
 * record of its holder, so its refusal cannot say; this can.
 */
export async function describeLocks(env: Environment): Promise<string[]> {
  const state = env.spec.state;
  const held = (who: string | undefined): string => (who === undefined ? 'free' : `held by ${who}`);
  if (state.type === 'pg') {
    const schema = pgSchemaName(env.name, state);
    const client = await pgClient(pgConnectionConfig(pgConnStr(env), `herd locks ${env.name} ${userInfo().username}@${hostname()} pid ${process.pid}`.slice(0, 63)));
    await client.connect();
    try {
      return [
        `Terraform's state lock (PostgreSQL, ${schema}.states "default"): ${held(await terraformStateLockHolder(client, schema))}`,
        `herd's lock (PostgreSQL advisory lock): ${held(await herdLockHolder(client, schema))}`,
      ];
    } finally {
      await client.end();
    }
  }
  const file = lockFile(env.name);
  const holder = fileLockHolder(file);
  return [
    state.type === 'local'
      ? "Terraform's state lock (local file): a refused deploy names its holder itself"
      : `Terraform's state lock (${state.type}): a refused deploy prints the backend's lock record`,
    `herd's lock (${file}): ${held(holder === undefined ? undefined : describeHolder(holder))}`,
  ];
}
