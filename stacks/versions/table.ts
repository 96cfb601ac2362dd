import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

// The typed reader of versions.yaml. The data is checked when it is read, so a
// malformed refresh of the table fails every command at once, naming the field.

export const VERSIONS_FILE = resolve(import.meta.dirname, 'versions.yaml');

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const version = z.string().regex(/^\d+\.\d+\.\d+$/, 'a version such as 1.36.4');
const minorKey = z.string().regex(/^\d+\.\d+$/, 'a minor such as 1.36');

const tableSchema = z.strictObject({
  reviewed: date,
  kubernetes: z.strictObject({
    packageRevision: z.string(),
    minors: z.record(
      minorKey,
      z.strictObject({
        released: date,
        endOfLife: date,
        newestPatch: version,
        kubeadmApi: z.string(),
        pause: z.string(),
        /** The oldest supported containerd of each major; a major not listed is not supported. */
        containerd: z.array(version).min(1),
      }),
    ),
  }),
  containerd: z.strictObject({
    lines: z.record(minorKey, z.strictObject({ released: date, endOfLife: date, lts: z.boolean().default(false), newestPatch: version })),
    configVersions: z.record(z.string().regex(/^\d+$/), z.strictObject({ writes: z.number().int(), reads: z.array(z.number().int()) })),
  }),
  calico: z.strictObject({
    releases: z.record(minorKey, z.strictObject({ kubernetes: z.array(minorKey).min(1), newestPatch: version })),
    operatorImages: z.record(version, z.string()),
    default: version,
  }),
  kubeVip: z.strictObject({ image: z.string() }),
});

export type VersionTable = z.infer<typeof tableSchema>;
export type KubernetesMinor = VersionTable['kubernetes']['minors'][string] & { readonly minor: string };
export type ContainerdLine = VersionTable['containerd']['lines'][string] & { readonly line: string };

export function parseVersionTable(text: string, file = VERSIONS_FILE): VersionTable {
  const result = tableSchema.safeParse(parse(text));
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${file} is not a valid table of versions: ${where}`);
  }
  return result.data;
}

let loaded: VersionTable | undefined;

/** The table shipped with herd, read once. */
export function versionTable(): VersionTable {
  loaded ??= parseVersionTable(readFileSync(VERSIONS_FILE, 'utf8'));
  return loaded;
}

/** "1.36" of "1.36.4". */
export const minorOf = (v: string): string => v.split('.').slice(0, 2).join('.');

export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(pa!.length, pb!.length); i++) {
    const d = (pa![i] ?? 0) - (pb![i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const newestFirst = (a: string, b: string): number => compareVersions(b, a);

export function kubernetesMinors(table: VersionTable = versionTable()): KubernetesMinor[] {
  return Object.entries(table.kubernetes.minors)
    .map(([minor, info]) => ({ ...info, minor }))
    .sort((a, b) => newestFirst(a.minor, b.minor));
}

export function kubernetesMinorInfo(v: string, table: VersionTable = versionTable()): KubernetesMinor | undefined {
  const minor = minorOf(v);
  const info = table.kubernetes.minors[minor];
  return info && { ...info, minor };
}

export function containerdLines(table: VersionTable = versionTable()): ContainerdLine[] {
  return Object.entries(table.containerd.lines)
    .map(([line, info]) => ({ ...info, line }))
    .sort((a, b) => newestFirst(a.line, b.line));
}

export function containerdLine(v: string, table: VersionTable = versionTable()): ContainerdLine | undefined {
  const line = minorOf(v);
  const info = table.containerd.lines[line];
  return info && { ...info, line };
}

/** The config format containerd of this version writes and reads (containerd 2.x: version 3). */
export function containerdConfigFormat(v: string, table: VersionTable = versionTable()): { writes: number; reads: readonly number[] } {
  const major = v.split('.')[0]!;
  const format = table.containerd.configVersions[major];
  if (format === undefined) throw new Error(`the table of versions knows no config format of containerd ${major}.x`);
  return format;
}

/** Whether the Kubernetes minor supports this containerd: at least the minimum given for its major. */
export function kubernetesSupportsContainerd(minor: KubernetesMinor, containerd: string): boolean {
  const major = containerd.split('.')[0];
  const minimum = minor.containerd.find((m) => m.split('.')[0] === major);
  return minimum !== undefined && compareVersions(containerd, minimum) >= 0;
}

/** Minors new clusters may be built on: those upstream still patched on the day the table was reviewed. */
export function newClusterMinors(table: VersionTable = versionTable()): KubernetesMinor[] {
  return kubernetesMinors(table).filter((m) => m.endOfLife > table.reviewed);
}

export function calicoRelease(v: string, table: VersionTable = versionTable()): VersionTable['calico']['releases'][string] | undefined {
  return table.calico.releases[minorOf(v)];
}

export interface DefaultVersions {
  readonly kubernetes: string;
  readonly containerd: string;
  readonly calico: string;
}

/**
 * What a new environment gets: the table's Calico release; the newest patch of the newest minor
 * new clusters may use that this Calico is tested with; the newest patch of the containerd LTS
 * line that lives longest among those this minor supports.
 */
export function defaultVersions(table: VersionTable = versionTable()): DefaultVersions {
  const calico = table.calico.default;
  const tested = calicoRelease(calico, table)?.kubernetes ?? [];
  const minor = newClusterMinors(table).find((m) => tested.includes(m.minor));
  if (minor === undefined) throw new Error(`no minor that new clusters may use is tested with Calico ${calico}; refresh the table of versions`);
  const containerd = containerdLines(table)
    .filter((l) => l.lts && l.endOfLife > table.reviewed && kubernetesSupportsContainerd(minor, l.newestPatch))
    .sort((a, b) => b.endOfLife.localeCompare(a.endOfLife))[0];
  if (containerd === undefined) throw new Error(`no supported containerd LTS line runs Kubernetes ${minor.minor}; refresh the table of versions`);
  return { kubernetes: minor.newestPatch, containerd: containerd.newestPatch, calico };
}

/** Calico releases from 3.30 on ship the operator's CRDs in their own manifest, applied before the operator. */
export function calicoHasSeparateOperatorCrds(v: string): boolean {
  return compareVersions(minorOf(v), '3.30') >= 0;
}
