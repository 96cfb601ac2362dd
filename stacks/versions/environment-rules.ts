import type { EnvironmentSpec } from '../environment/schema.ts';
import {
  calicoRelease,
  compareVersions,
  containerdLine,
  containerdLines,
  kubernetesMinorInfo,
  kubernetesMinors,
  kubernetesSupportsContainerd,
  minorOf,
  newClusterMinors,
  versionTable,
  type VersionTable,
} from './table.ts';

/** A finding about an environment's versions, at a path of its file. */
export interface VersionFinding {
  readonly path: PropertyKey[];
  readonly message: string;
}

const list = (minors: readonly { minor: string }[]): string => minors.map((m) => m.minor).join(', ');

/**
 * Versions herd cannot install at all: a Kubernetes minor or containerd line outside the table,
 * or a containerd the Kubernetes minor does not run on (the kubelet of 1.36 and later needs 2.x).
 */
export function versionIssues(spec: EnvironmentSpec, table: VersionTable = versionTable()): VersionFinding[] {
  const issues: VersionFinding[] = [];
  const k8s = spec.kubernetes.version;
  const minor = kubernetesMinorInfo(k8s, table);
  if (minor === undefined) {
    issues.push({
      path: ['kubernetes', 'version'],
      message: `Kubernetes ${minorOf(k8s)} is not in herd's table of versions: herd builds new clusters on ${list(newClusterMinors(table))}, and upgrades clusters that run ${kubernetesMinors(table).at(-1)?.minor} or later`,
    });
  }
  const containerd = spec.containerd.version;
  const line = containerdLine(containerd, table);
  if (line === undefined) {
    issues.push({ path: ['containerd', 'version'], message: `containerd ${minorOf(containerd)} is not in herd's table of versions; known lines: ${containerdLines(table).map((l) => l.line).join(', ')}` });
  }
  if (minor !== undefined && line !== undefined && !kubernetesSupportsContainerd(minor, containerd)) {
    issues.push({
      path: ['containerd', 'version'],
      message: `Kubernetes ${minor.minor} does not run on containerd ${containerd}; it needs ${minor.containerd.map((m) => `${m} or a later ${m.split('.')[0]}.x`).join(', or ')}: upgrade containerd first, on the Kubernetes minor you run now`,
    });
  }
  return issues;
}

/** Versions that work but that upstream no longer patches (on `today`), or that are not tested together. */
export function versionWarnings(spec: EnvironmentSpec, today: string, table: VersionTable = versionTable()): VersionFinding[] {
  const warnings: VersionFinding[] = [];
  const minor = kubernetesMinorInfo(spec.kubernetes.version, table);
  if (minor !== undefined) {
    const next = kubernetesMinors(table)
      .filter((m) => compareVersions(m.minor, minor.minor) > 0)
      .at(-1);
    if (minor.endOfLife <= today) {
      warnings.push({
        path: ['kubernetes', 'version'],
        message: `Kubernetes ${minor.minor} reached its end of life on ${minor.endOfLife}: upstream no longer patches it${next ? `; upgrade to ${next.newestPatch}, one minor at a time` : ''}`,
      });
    }
    if (compareVersions(spec.kubernetes.version, minor.newestPatch) > 0) {
      warnings.push({ path: ['kubernetes', 'version'], message: `${spec.kubernetes.version} is newer than the ${minor.newestPatch} herd's table of versions knows; refresh the table (README.md)` });
    }
  }
  const line = containerdLine(spec.containerd.version, table);
  if (line !== undefined && line.endOfLife <= today) {
    const successor = containerdLines(table).find((l) => l.lts && l.endOfLife > today && (minor === undefined || kubernetesSupportsContainerd(minor, l.newestPatch)));
    warnings.push({
      path: ['containerd', 'version'],
      message: `containerd ${line.line} reached its end of life on ${line.endOfLife}${successor ? `; upgrade to ${successor.newestPatch} (LTS until ${successor.endOfLife})` : ''}`,
    });
  }
  const calico = calicoRelease(spec.calico.version, table);
  if (minor !== undefined && calico !== undefined && !calico.kubernetes.includes(minor.minor)) {
    const tested = Object.entries(table.calico.releases).filter(([, r]) => r.kubernetes.includes(minor.minor)).map(([release]) => release);
    warnings.push({
      path: ['calico', 'version'],
      message: `Calico ${minorOf(spec.calico.version)} is tested with Kubernetes ${calico.kubernetes.join(', ')}, not ${minor.minor}${tested.length > 0 ? `; Calico ${tested.join(', ')} is` : ''}`,
    });
  }
  if (calico === undefined) {
    warnings.push({ path: ['calico', 'version'], message: `Calico ${minorOf(spec.calico.version)} is not in herd's table of versions, so nothing says which Kubernetes it is tested with` });
  }
  return warnings;
}
