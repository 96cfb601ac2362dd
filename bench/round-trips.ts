// 8. Round trips per host and phase, as herd's connections counted them in
// runs of this benchmark (round-trips.json in each run's log directory), beside
// the least each phase needs over SSH.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoundTripCounts } from '../scripts/provisioner/round-trip-report.ts';
import { EXEC_MIN_ROUND_TRIPS, HANDSHAKE_MIN_ROUND_TRIPS } from './lib/latency.ts';

export interface RoundTripScenario {
  readonly title: string;
  /** Read as soon as the run ends: its lab and log directory are gone by the time the table is written. */
  readonly counts: RoundTripCounts;
  /** Which hosts to show, under what name: the others are summed up as "other workers" when present. */
  readonly roles: Readonly<Record<string, string>>;
}

export function readRoundTrips(logDir: string): RoundTripCounts {
  return JSON.parse(readFileSync(join(logDir, 'round-trips.json'), 'utf8')) as RoundTripCounts;
}

const E = EXEC_MIN_ROUND_TRIPS;
/**
 * The least each phase needs per host over SSH, whatever the tool: a command
 * is a channel open and an exec request, and a step needs one command however
 * many files it places, when its stdin leaves with the request.
 */
const LEAST: readonly [RegExp, string][] = [
  [/^Connect to/, `${HANDSHAKE_MIN_ROUND_TRIPS}`],
  [/^Gather facts$/, `${E}`],
  [/^Prepare nodes$/, `${E} per node prepared`],
  [/^Join /, `${E} on the control plane that issues, ${E} on each node joining`],
  [/^Apply Calico/, `${E}`],
  [/^Verify$/, `0 when nothing changed, else ${E}`],
  [/^Record what converged$/, `${E} per control plane, at once`],
  [/^Upgrade /, `${3 * E} per node (upgrade, packages, record), ${2 * E} per node on the control plane that drains`],
];
const least = (phase: string): string => LEAST.find(([re]) => re.test(phase))?.[1] ?? `${E} per command`;

export function roundTripTable(scenarios: readonly RoundTripScenario[]): string[] {
  const lines = [
    '## 8. Round trips per host, one after another, per phase',
    '',
    "As herd's SSH layer counts them (scripts/ssh/round-trips.ts: the handshake's requests, 2 per exec, 3 when the exec carries stdin, which ssh2 sends only once the exec request is answered), " +
      'in runs of this benchmark (`herd apply --stats` prints the same table). Each costs the network\'s round-trip time once; the least column is what any SSH client needs ' +
      `(a handshake of ${HANDSHAKE_MIN_ROUND_TRIPS}: TCP, identification and KEXINIT, key exchange, service request, one signed key; ${EXEC_MIN_ROUND_TRIPS} per command).`,
    '',
  ];
  for (const scenario of scenarios) {
    const { counts } = scenario;
    const hosts = Object.keys(counts.hosts);
    const shown = Object.entries(scenario.roles).filter(([host]) => hosts.includes(host));
    const others = hosts.filter((h) => !(h in scenario.roles));
    const columns: { name: string; count: (phase: string) => string }[] = shown.map(([host, role]) => ({ name: role, count: (p) => String(counts.hosts[host]?.[p] ?? 0) }));
    if (others.length > 0) {
      const values = (p: string): number[] => others.map((h) => counts.hosts[h]?.[p] ?? 0);
      columns.push({ name: `${others.length} other hosts`, count: (p) => [...new Set(values(p))].join(' or ') });
    }
    lines.push(
      `**${scenario.title}** (${hosts.length} hosts reached)`,
      '',
      `| phase | ${columns.map((c) => c.name).join(' | ')} | least |`,
      `| --- | ${columns.map(() => '---').join(' | ')} | --- |`,
      ...counts.phases.map((phase) => `| ${phase} | ${columns.map((c) => c.count(phase)).join(' | ')} | ${least(phase)} |`),
      `| total | ${columns.map((c) => counts.phases.reduce((sum, p) => sum + Number(c.count(p).split(' ')[0]), 0)).join(' | ')} | |`,
      '',
    );
  }
  return lines;
}
