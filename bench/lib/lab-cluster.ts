import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts } from '../../scripts/lab/environment-file.ts';
import { herdApp } from '../../stacks/app.ts';
import { copyProject } from './project-copy.ts';
import { timedCommand } from './herd-cli.ts';

/**
 * A lab cluster deployed the way operators deploy: a copy of the project whose
 * one environment is a static environment over lab hosts, synthesized and
 * applied by Terraform (whose reconcile runs `herd apply`). The lab has
 * `spareWorkers` more hosts than the cluster, for benchmarks that add workers.
 */
export interface LabCluster {
  readonly env: string;
  readonly projectDir: string;
  /** cdktf.out/stacks/<env>: where `cdktf deploy` runs Terraform. */
  readonly stackDir: string;
  readonly lab: Lab;
  workers: number;
  /** Rewrites the environment file with this many workers. */
  setWorkers(count: number): void;
  synthesize(): void;
  stop(): Promise<void>;
}

export async function startLabCluster(env: string, net: number, nodes: number, spareWorkers: number): Promise<LabCluster> {
  const work = mkdtempSync(join(tmpdir(), `herd-bench-${env}-`));
  const project = copyProject(join(work, 'project'));
  const lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(env, net, 1, nodes - 1 + spareWorkers), concurrency: 16 });
  const stop = async (): Promise<void> => {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const file = labEnvironment(env, project.environmentsDir, lab, net);
    const outdir = join(project.dir, 'cdktf.out');
    const cluster: LabCluster = {
      env,
      projectDir: project.dir,
      stackDir: join(outdir, 'stacks', env),
      lab,
      workers: nodes - 1,
      setWorkers(count) {
        file.write({ controlPlanes: 1, workers: count });
        cluster.workers = count;
      },
      synthesize() {
        herdApp({ outdir, environmentsDir: project.environmentsDir, environments: [env] }).synth();
      },
      stop,
    };
    cluster.setWorkers(nodes - 1);
    cluster.synthesize();
    timedCommand('terraform', ['init', '-input=false', '-no-color'], cluster.stackDir);
    timedCommand('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], cluster.stackDir);
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}
