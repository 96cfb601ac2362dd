import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { VERSIONS_FILE, defaultVersions, kubernetesMinorInfo, kubernetesSupportsContainerd, newClusterMinors, parseVersionTable, versionTable } from '../../stacks/versions/table.ts';
import { agedOut } from '../../stacks/versions/aging.ts';
import { loadEnvironmentByName } from '../../stacks/environment/load.ts';

const text = readFileSync(VERSIONS_FILE, 'utf8');
const edited = (edit: (raw: Record<string, any>) => void): string => {
  // any: the raw YAML document, edited freely to break it on purpose.
  const raw = parse(text) as Record<string, any>;
  edit(raw);
  return JSON.stringify(raw);
};

describe('the table of versions', () => {
  it('builds new clusters on the minors upstream patched on the day it was reviewed', () => {
    expect(newClusterMinors().map((m) => m.minor)).toEqual(['1.37', '1.36', '1.35']);
    const later = parseVersionTable(edited((t) => (t['reviewed'] = '2027-03-01')));
    expect(newClusterMinors(later).map((m) => m.minor)).toEqual(['1.37', '1.36']);
  });

  it("gives a new environment the newest patch of the newest minor its Calico is tested with, and the current containerd LTS", () => {
    expect(defaultVersions()).toEqual({ kubernetes: '1.36.4', containerd: '2.3.5', calico: '3.32.1' });
    const with333 = parseVersionTable(edited((t) => (t['calico']['default'] = '3.33.1')));
    expect(defaultVersions(with333).kubernetes).toBe('1.37.1');
  });

  it('is what _defaults.yaml pins, so that a refresh of the table shows in the environments too', () => {
    const { spec } = loadEnvironmentByName('lab');
    expect({ kubernetes: spec.kubernetes.version, containerd: spec.containerd.version, calico: spec.calico.version }).toEqual(defaultVersions());
  });

  it('runs Kubernetes up to 1.35 on containerd 1.7, and 1.36 on 2.x only', () => {
    expect(kubernetesSupportsContainerd(kubernetesMinorInfo('1.35.9')!, '1.7.31')).toBe(true);
    expect(kubernetesSupportsContainerd(kubernetesMinorInfo('1.35.9')!, '1.7.20')).toBe(false);
    expect(kubernetesSupportsContainerd(kubernetesMinorInfo('1.36.4')!, '1.7.31')).toBe(false);
    expect(kubernetesSupportsContainerd(kubernetesMinorInfo('1.36.4')!, '2.3.5')).toBe(true);
  });

  it('finds what is past its end of life on a given day', () => {
    const pins = [{ who: 'x', kubernetes: '1.34.9', containerd: '1.7.31' }];
    expect(agedOut(pins, '2026-09-29')).toEqual([]);
    expect(agedOut(pins, '2026-09-30')).toEqual([{ who: 'x', component: 'containerd', version: '1.7.31', endOfLife: '2026-09-30' }]);
    expect(agedOut(pins, '2026-12-01').map((a) => a.component)).toEqual(['Kubernetes', 'containerd']);
  });

  it('refuses a malformed refresh, naming the field', () => {
    expect(() => parseVersionTable(edited((t) => (t['kubernetes']['minors']['1.37']['endOfLife'] = 'late 2027')))).toThrow(/kubernetes\.minors\.1\.37\.endOfLife: a date YYYY-MM-DD/);
    expect(() => parseVersionTable(edited((t) => (t['kubernetes']['minors']['1.37']['pasue'] = '3.10')))).toThrow(/kubernetes\.minors\.1\.37: Unrecognized key: "pasue"/);
    expect(versionTable().reviewed).toBe('2026-12-01');
  });
});
