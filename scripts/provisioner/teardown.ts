import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startTimeOf as startTime } from '../system/processes.ts';
import { join } from 'node:path';
import { environmentStateDir } from '../../stacks/project.ts';

/**
 * Tells the node removal hooks of one Terraform run that the whole
 * environment goes (`cdktf destroy`), as opposed to a lowered count or a
 * replaced machine. Terraform gives a destroy-time provisioner nothing but
 * its own resource, so the stack's `terraform_data.teardown`, which only a
 * destroy of the stack removes and which Terraform removes before any node's
 * hook, records the Terraform process that runs the destroy; a hook of the
 * same process then knows. Both learn that process as the shell's $PPID.
 * The start time makes a marker left by an earlier run (its PID since
 * reused) worthless, so the file never needs cleaning up.
 */
interface Marker {
  readonly pid: number;
  readonly start: string;
}

const markerFile = (env: string): string => join(environmentStateDir(env), 'teardown.json');

export function recordTeardown(env: string, terraformPid: number): void {
  const start = startTime(terraformPid);
  if (start === undefined) throw new Error(`no process ${terraformPid}: --terraform-pid must be the Terraform process that destroys ${env}`);
  mkdirSync(environmentStateDir(env), { recursive: true, mode: 0o700 });
  writeFileSync(markerFile(env), JSON.stringify({ pid: terraformPid, start } satisfies Marker), { mode: 0o600 });
}

export function isTeardown(env: string, terraformPid: number | undefined): boolean {
  if (terraformPid === undefined) return false;
  try {
    const marker = JSON.parse(readFileSync(markerFile(env), 'utf8')) as Marker;
    return marker.pid === terraformPid && marker.start === startTime(terraformPid);
  } catch {
    return false;
  }
}
