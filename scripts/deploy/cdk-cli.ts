import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_DIR } from '../../stacks/project.ts';
import { RefusedError } from '../provisioner/refused.ts';

/**
 * The CDK command-line tools that can drive herd's app (docs/deploying.md,
 * "Which CDK"): CDK for Terraform's last release, and CDK Terrain, its
 * maintained continuation, which reads the same cdktf.json, cdktf.out/ and
 * CDKTF_* variables. Each runs on a different range of Node.js.
 */
export const CDK_CLIS = {
  cdktf: { package: 'cdktf-cli@0.21.0', minNode: [20, 0], note: 'archived; does not start on Node.js 24 or later (no node-pty build)' },
  cdktn: { package: 'cdktn-cli@0.24.0', minNode: [22, 19], note: 'maintained' },
} as const;

export type CdkCliName = keyof typeof CDK_CLIS;

export interface CdkCli {
  readonly name: CdkCliName;
  readonly path: string;
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command)).find((p) => existsSync(p));
}

function installed(name: CdkCliName, env: NodeJS.ProcessEnv): string | undefined {
  const local = join(PROJECT_DIR, 'node_modules', '.bin', name);
  return existsSync(local) ? local : onPath(name, env);
}

function nodeAtLeast([major, minor]: readonly [number, number], version: string): boolean {
  const [m = 0, n = 0] = version.replace(/^v/, '').split('.').map(Number);
  return m > major || (m === major && n >= minor);
}

/**
 * The CDK CLI to deploy with, as asked for: refused before anything runs when
 * it is missing or cannot run on this Node.js.
 */
export function chooseCdkCli(name: CdkCliName, env: NodeJS.ProcessEnv = process.env, nodeVersion: string = process.version): CdkCli {
  const { package: pkg, minNode } = CDK_CLIS[name];
  if (!nodeAtLeast(minNode, nodeVersion)) {
    throw new RefusedError(`${pkg} needs Node.js ${minNode.join('.')} or later; this is Node.js ${nodeVersion.replace(/^v/, '')}. Use --cli terraform (the default) or --cli ${name === 'cdktn' ? 'cdktf' : 'cdktn'}, or a newer Node.js.`);
  }
  const path = installed(name, env);
  if (path === undefined) throw new RefusedError(`${name} is not installed: run \`npm install --save-dev --save-exact ${pkg}\` in ${PROJECT_DIR}`);
  return { name, path };
}
