import { App } from './cdk.ts';
import { listEnvironments, loadEnvironmentByName, DEFAULT_ENVIRONMENTS_DIR } from './environment/load.ts';
import { computeCluster } from './topology/topology.ts';
import { EnvironmentStack } from './environment-stack.ts';

export interface HerdAppOptions {
  /** Where cdk.tf.json files go; cdktf's CLI passes its own through CDKTF_OUTDIR. */
  readonly outdir?: string;
  readonly environmentsDir?: string;
  /** Environments to synthesize; all of them when left out. */
  readonly environments?: readonly string[];
}

/**
 * The CDKTF app: one stack per environment file, so `cdktf deploy prod`
 * touches prod only. skipValidation: cdktf's per-construct validation runs
 * `terraform version` for every terraform_data, which dominates large clusters.
 */
export function herdApp(options: HerdAppOptions = {}): App {
  const app = new App({ skipValidation: true, ...(options.outdir === undefined ? {} : { outdir: options.outdir }) });
  const dir = options.environmentsDir ?? DEFAULT_ENVIRONMENTS_DIR;
  for (const name of options.environments ?? listEnvironments(dir)) {
    const cluster = computeCluster(loadEnvironmentByName(name, dir));
    new EnvironmentStack(app, name, { cluster });
  }
  return app;
}
