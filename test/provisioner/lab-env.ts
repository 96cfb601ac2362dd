import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { PROJECT_DIR } from '../../stacks/project.ts';
import type { JournalEntry, Lab } from '../../scripts/lab/lab.ts';

// Test helper: `herd` run as operators run it, with every process's command
// line watched while it runs when a test asks. Environment files for labs:
// scripts/lab/environment-file.ts.

export interface HerdRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** With `watchCommandLines`: every distinct command line seen on this machine while herd ran (lab hosts' processes included). */
  readonly commandLines: ReadonlySet<string>;
}

function commandLinesNow(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // the process ended between readdir and read
    }
  }
  return lines;
}

/**
 * Runs `herd` from the project, as `cdktf deploy` does. With
 * `watchCommandLines`, samples every process's command line every 20 ms while
 * it runs, for a test that no secret shows in `ps`; only such a test asks, as
 * the sampling takes a tenth of a core from the lab.
 */
export function herd(args: readonly string[], env: NodeJS.ProcessEnv = process.env, options: { readonly watchCommandLines?: boolean } = {}): Promise<HerdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/herd.mjs', ...args], { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const commandLines = new Set<string>();
    const sampler = options.watchCommandLines
      ? setInterval(() => {
          for (const line of commandLinesNow()) commandLines.add(line);
        }, 20)
      : undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(sampler);
      resolve({ status, stdout, stderr, commandLines });
    });
  });
}

/** Runs `herd` and kills it (SIGKILL, no cleanup) as soon as `moment()` is true, polled every 25 ms. */
export function herdKilledWhen(args: readonly string[], moment: () => boolean): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const child = spawn('node', ['bin/herd.mjs', ...args], { cwd: PROJECT_DIR, stdio: 'ignore' });
    const watch = setInterval(() => {
      if (moment()) {
        clearInterval(watch);
        child.kill('SIGKILL');
      }
    }, 25);
    child.on('close', (_code, signal) => {
      clearInterval(watch);
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished');
    });
  });
}

/** Journal positions per host, so that a test reads only what one run did. */
export function journalMarks(lab: () => Lab): { mark(): void; sinceMark(host: string): JournalEntry[] } {
  const marks = new Map<string, number>();
  return {
    mark: () => {
      for (const h of lab().hosts) marks.set(h.name, lab().journal(h.name).length);
    },
    sinceMark: (host) => lab().journal(host).slice(marks.get(host) ?? 0),
  };
}
