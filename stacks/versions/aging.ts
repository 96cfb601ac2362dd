import { containerdLine, defaultVersions, kubernetesMinorInfo, versionTable, type VersionTable } from './table.ts';

/** How long a table may go unreviewed before `herd versions --check` says so: patches come monthly. */
export const REVIEW_DUE_DAYS = 60;

export interface AgedVersion {
  /** What pins it: "the default for new environments" or an environment's name. */
  readonly who: string;
  readonly component: 'Kubernetes' | 'containerd';
  readonly version: string;
  readonly endOfLife: string;
}

/** Each pinned version whose Kubernetes minor or containerd line is past its end of life on `today`. */
export function agedOut(pins: readonly { who: string; kubernetes: string; containerd: string }[], today: string, table: VersionTable = versionTable()): AgedVersion[] {
  return pins.flatMap((pin): AgedVersion[] => {
    const minor = kubernetesMinorInfo(pin.kubernetes, table);
    const line = containerdLine(pin.containerd, table);
    return [
      ...(minor !== undefined && minor.endOfLife <= today ? [{ who: pin.who, component: 'Kubernetes' as const, version: pin.kubernetes, endOfLife: minor.endOfLife }] : []),
      ...(line !== undefined && line.endOfLife <= today ? [{ who: pin.who, component: 'containerd' as const, version: pin.containerd, endOfLife: line.endOfLife }] : []),
    ];
  });
}

export const DEFAULTS_PIN = 'the default for new environments';

export function defaultPin(table: VersionTable = versionTable()): { who: string; kubernetes: string; containerd: string } {
  const d = defaultVersions(table);
  return { who: DEFAULTS_PIN, kubernetes: d.kubernetes, containerd: d.containerd };
}

/** Days from the table's review to `today`. */
export function daysSinceReview(today: string, table: VersionTable = versionTable()): number {
  return Math.floor((Date.parse(today) - Date.parse(table.reviewed)) / 86_400_000);
}
