import { readFileSync } from 'node:fs';

/**
 * One call of a simulated command on a lab host, as the simulator appended it
 * to the host's journal (one JSON object per line). Secret values never
 * appear: arguments after --token, --certificate-key,
 * --discovery-token-ca-cert-hash (and similar) read "<redacted>", and nothing
 * read from stdin or from files is recorded.
 */
export interface JournalEntry {
  /** ISO 8601 with milliseconds, when the call ended (or, for a hang, when it began to hang). */
  readonly time: string;
  readonly host: string;
  /** The simulated command: kubeadm, kubectl, systemctl, apt-get, … */
  readonly command: string;
  readonly argv: readonly string[];
  /** Exit code; null while a call hangs on purpose (fault "hang"). */
  readonly exit: number | null;
  /** Whether the call changed the host's or the cluster's simulated state (or wrote a file). */
  readonly mutating: boolean;
  /** User name the command ran as (root under sudo). */
  readonly user: string;
  readonly durationMs: number;
  /** Set when an injected fault decided the outcome. */
  readonly fault?: 'hang' | 'fail' | 'slow';
}

export function readJournal(file: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalEntry);
}
