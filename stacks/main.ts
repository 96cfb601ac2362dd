import { App } from 'cdktf';
import { listEnvironments, loadEnvironmentByName } from './environment/load.ts';
import { computeCluster } from './topology/topology.ts';
import { EnvironmentStack } from './environment-stack.ts';

// One stack per environment file: `cdktf deploy prod` touches prod only.
// skipValidation: cdktf's per-construct validation runs `terraform version` for
// every terraform_data (120 ms each), which dominates synthesis of large clusters.
const app = new App({ skipValidation: true });
for (const name of listEnvironments()) {
  new EnvironmentStack(app, name, { cluster: computeCluster(loadEnvironmentByName(name)) });
}
app.synth();
