import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { startLab, type Lab } from '../../scripts/lab/lab.ts';
import { labEnvironment, labHosts } from '../../scripts/lab/environment-file.ts';

/** The files a deploy needs, as an operator's checkout holds them. */
const PROJECT_ENTRIES = ['bin', 'scripts', 'stacks', 'templates', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc'];

export interface LabProject {
  /** A copy of the project with its own .herd/ (state, known_hosts, the lab) and node_modules linked. */
  readonly dir: string;
  readonly lab: Lab;
  stop(): Promise<void>;
}

/** A project copy whose environment `env` is a lab of 1 control plane and `workers` workers at 127.<net>.*. */
export async function labProject(env: string, net: number, workers: number): Promise<LabProject> {
  const dir = mkdtempSync(join(tmpdir(), `herd-${env}-`));
  for (const entry of PROJECT_ENTRIES) cpSync(join(PROJECT_DIR, entry), join(dir, entry), { recursive: true });
  symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(dir, 'node_modules'));
  const lab = await startLab({ stateDir: join(dir, '.herd', 'lab'), hosts: labHosts(env, net, 1, workers) });
  labEnvironment(env, join(dir, 'stacks', 'environments'), lab, net).write({ controlPlanes: 1, workers });
  return {
    dir,
    lab,
    async stop() {
      await lab.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
