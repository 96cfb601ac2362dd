import { formatTable } from '../cli/table.ts';

/** Sequential round trips per host and phase: what `herd apply --stats` prints and round-trips.json holds. */
export interface RoundTripCounts {
  /** Phases in the order the run went through them. */
  readonly phases: readonly string[];
  /** host → phase → round trips (phases without any are left out). */
  readonly hosts: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Round trips as each host's connection counts them (scripts/ssh/round-trips.ts),
 * attributed to the phase the run was in: phases follow one another, so what
 * a connection adds while a phase runs is that phase's.
 */
export class RoundTripReport {
  readonly #phases: string[] = [];
  #current = '';
  readonly #hosts = new Map<string, Map<string, number>>();
  readonly #seen = new Map<string, number>();

  phase(title: string): void {
    this.#current = title;
    if (!this.#phases.includes(title)) this.#phases.push(title);
  }

  /** The host's connection has reached `total` round trips. */
  at(host: string, total: number): void {
    const phase = this.#current;
    const added = total - (this.#seen.get(host) ?? 0);
    this.#seen.set(host, total);
    if (added <= 0) return;
    const byPhase = this.#hosts.get(host) ?? new Map<string, number>();
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + added);
    this.#hosts.set(host, byPhase);
  }

  counts(): RoundTripCounts {
    const phases = this.#phases.filter((p) => [...this.#hosts.values()].some((byPhase) => byPhase.has(p)));
    return { phases, hosts: Object.fromEntries([...this.#hosts].map(([host, byPhase]) => [host, Object.fromEntries(byPhase)])) };
  }

  /**
   * One column per group of hosts with the same counts in every phase (a
   * converged 50-node cluster has two: the control plane and the rest), one
   * row per phase, and the total.
   */
  table(): string {
    const { phases, hosts } = this.counts();
    const groups = new Map<string, string[]>();
    for (const [host, byPhase] of Object.entries(hosts)) {
      const key = phases.map((p) => byPhase[p] ?? 0).join(',');
      groups.set(key, [...(groups.get(key) ?? []), host]);
    }
    const columns = [...groups].map(([key, members]) => ({ counts: key.split(',').map(Number), name: members.length === 1 ? members[0]! : `${members[0]} and ${members.length - 1} more` }));
    const rows = phases.map((phase, i) => [phase, ...columns.map((c) => String(c.counts[i]))]);
    rows.push(['total', ...columns.map((c) => String(c.counts.reduce((a, b) => a + b, 0)))]);
    return `Round trips, one after another, per host (each costs the network's round-trip time once):\n${formatTable(['PHASE', ...columns.map((c) => c.name)], rows)}`;
  }
}
