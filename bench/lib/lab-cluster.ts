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
  /** Rewrites the environment file so that herd connects to this port: a latency relay's, or 22. */
  setPort(port: number): void;
  /** Rewrites the environment file with this Kubernetes version (the table's default otherwise). */
  setKubernetes(version: string): void;
  synthesize(): void;
  stop(): Promise<void>;
}

export async function startLabCluster(env: string, net: number, nodes: number, spareWorkers: number, options: { readonly kubernetes?: string } = {}): Promise<LabCluster> {
  const work = mkdtempSync(join(tmpdir(), `herd-bench-${env}-`));
  const project = copyProject(join(work, 'project'));
  const lab = await startLab({ stateDir: join(work, 'lab'), hosts: labHosts(env, net, 1, nodes - 1 + spareWorkers), concurrency: 16 });
  const stop = async (): Promise<void> => {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    let port = 22;
    let kubernetes: string | undefined;
    const write = (): void => {
      labEnvironment(env, project.environmentsDir, lab, net, { port }).write({ controlPlanes: 1, workers: cluster.workers }, kubernetes === undefined ? {} : { kubernetes: { version: kubernetes } });
    };
    const outdir = join(project.dir, 'cdktf.out');
    const cluster: LabCluster = {
      env,
      projectDir: project.dir,
      stackDir: join(outdir, 'stacks', env),
      lab,
      workers: nodes - 1,
      setWorkers(count) {
        cluster.workers = count;
        write();
      },
      setPort(to) {
        port = to;
        write();
      },
      setKubernetes(version) {
        kubernetes = version;
        write();
      },
      synthesize() {
        herdApp({ outdir, environmentsDir: project.environmentsDir, environments: [env] }).synth();
      },
      stop,
    };
    kubernetes = options.kubernetes;
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
