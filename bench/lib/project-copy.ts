import { cpSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';

/**
 * A copy of the project whose only environment is the benchmark's, so that
 * `cdktf synth`/`deploy` and the reconcile's `node bin/herd.mjs apply <env>`
 * see it, with its own .herd/ for state (as test/stacks/deploy.e2e.test.ts does).
 */
export function copyProject(dir: string): { dir: string; environmentsDir: string } {
  mkdirSync(dir, { recursive: true });
  for (const entry of ['bin', 'scripts', 'stacks', 'templates', 'package.json', 'cdktf.json', 'tsconfig.json', 'terraform.rc']) {
    cpSync(join(PROJECT_DIR, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(realpathSync(join(PROJECT_DIR, 'node_modules')), join(dir, 'node_modules'));
  const environmentsDir = join(dir, 'stacks', 'environments');
  for (const f of readdirSync(environmentsDir)) {
    if (!f.startsWith('_')) rmSync(join(environmentsDir, f), { recursive: true, force: true });
  }
  return { dir, environmentsDir };
}
