// Simulated systemd units of one lab host. Unit files and enablement are real
// files (unit files under /usr/lib/systemd/system, enablement symlinks under
// /etc/systemd/system/*.wants); whether a unit runs is runtime state.
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { readJson, readText, withLock, writeJson } from './files.mjs';
import { RUNTIME_DIR } from './paths.mjs';
import { installed, readStatus } from './dpkg.mjs';
import { recordKubelet, updateCluster } from './cluster.mjs';
import { loadContainerdConfig } from './containerd-config.mjs';
import { containerdStopped, readContainers, syncContainers } from './containers.mjs';
import { kubeletRunsOn } from './versions.mjs';

export const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
const UNITS_FILE = join(RUNTIME_DIR, 'units.json');
const LOCK = join(RUNTIME_DIR, 'units.lock');
const UNIT_TYPES = /\.(service|socket|timer|target|mount|automount|path|slice|scope|device|swap)$/;

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';

/** sshd is what answers the lab's SSH; it runs from the start, as on a booted VM. */
const BOOTED = { 'ssh.service': { active: true, since: null } };

export function unitName(arg) {
  return UNIT_TYPES.test(arg) ? arg : `${arg}.service`;
}

/** Aliases (sshd.service → ssh.service) are symlinks to their unit. */
function resolveAlias(unit) {
  for (const dir of UNIT_DIRS) {
    try {
      const path = join(dir, unit);
      if (!lstatSync(path).isSymbolicLink()) return unit;
      const target = readlinkSync(path);
      if (target !== '/dev/null') return basename(target);
    } catch {
      // Not in this directory.
    }
  }
  return unit;
}

export function canonicalUnit(arg) {
  return resolveAlias(unitName(arg));
}

export function isMasked(unit) {
  for (const dir of ['/etc/systemd/system', '/run/systemd/system']) {
    try {
      if (lstatSync(join(dir, unit)).isSymbolicLink() && readlinkSync(join(dir, unit)) === '/dev/null') return true;
    } catch {
      // Not there.
    }
  }
  return false;
}

/** The unit's file, or undefined if systemd would not find it. */
export function unitFile(unit) {
  for (const dir of UNIT_DIRS) {
    const path = join(dir, unit);
    if (existsSync(path) && !isMasked(unit)) return path;
  }
  return undefined;
}

/** [Install] section entries: { wantedBy: [], requiredBy: [], alias: [] }. */
export function installSection(path) {
  const text = readFileSync(path, 'utf8');
  const section = { wantedBy: [], requiredBy: [], alias: [] };
  let inInstall = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inInstall = line === '[Install]';
      continue;
    }
    if (!inInstall) continue;
    const m = /^(WantedBy|RequiredBy|Alias)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = { WantedBy: 'wantedBy', RequiredBy: 'requiredBy', Alias: 'alias' }[m[1]];
    section[key].push(...m[2].split(/\s+/).filter(Boolean));
  }
  return section;
}

/** Enablement symlinks for the unit: [{ link, target }]. */
export function enablementLinks(unit, path) {
  const install = installSection(path);
  return [
    ...install.wantedBy.map((t) => ({ link: `/etc/systemd/system/${t}.wants/${unit}`, target: path })),
    ...install.requiredBy.map((t) => ({ link: `/etc/systemd/system/${t}.requires/${unit}`, target: path })),
    ...install.alias.map((a) => ({ link: `/etc/systemd/system/${a}`, target: path })),
  ];
}

/** enabled | disabled | static | masked | not-found */
export function enablement(unit) {
  if (isMasked(unit)) return 'masked';
  const path = unitFile(unit);
  if (!path) return 'not-found';
  const links = enablementLinks(unit, path);
  if (links.length === 0) return 'static';
  return links.some(({ link }) => existsSync(link)) ? 'enabled' : 'disabled';
}

export function readUnits() {
  return readJson(UNITS_FILE, BOOTED);
}

export function updateUnits(fn) {
  return withLock(LOCK, () => {
    const units = readUnits();
    const before = JSON.stringify(units);
    const result = fn(units);
    const changed = JSON.stringify(units) !== before;
    if (changed) writeJson(UNITS_FILE, units);
    return { result, changed };
  });
}

/** What systemd would report: { active: 'active'|'activating'|'inactive'|'failed', sub: 'running'|'auto-restart'|'dead'|'failed' }. */
export function activeState(units, unit) {
  const record = units[unit];
  if (record?.failed) return { active: 'failed', sub: 'failed' };
  if (!record?.active) return { active: 'inactive', sub: 'dead' };
  // kubelet without its configuration exits at once and systemd restarts it, over and over.
  if (unit === 'kubelet.service' && !existsSync(KUBELET_CONFIG)) return { active: 'activating', sub: 'auto-restart' };
  return { active: 'active', sub: 'running' };
}

function packageVersion(name) {
  const pkg = installed(readStatus(), name);
  return pkg ? `v${pkg.version.replace(/-.*$/, '')}` : null;
}

function containerdVersion() {
  const status = readStatus();
  const pkg = installed(status, 'containerd.io') ?? installed(status, 'containerd');
  return pkg ? pkg.version.replace(/^\d+:/, '').replace(/-.*$/, '').replace(/~.*$/, '') : undefined;
}

/**
 * Starts (or restarts) a unit in the runtime state, with the effects that
 * matter to the lab: containerd loads its configuration file, in the format
 * its version reads, and fails to start on one it cannot read; kubelet records
 * its version. A restart of containerd is a stop first (see containers.mjs).
 */
export function startUnit(units, unit) {
  const record = { active: true, since: new Date().toISOString() };
  if (unit === 'containerd.service') {
    if (units[unit]?.active) containerdStopped(readText(unitFile(unit) ?? '') ?? '');
    const config = readText(CONTAINERD_CONFIG) ?? '';
    const version = containerdVersion();
    const loaded = loadContainerdConfig(config, version);
    record.config = createHash('sha256').update(config).digest('hex');
    record.version = version ?? null;
    if (!loaded.ok) {
      units[unit] = { active: false, failed: true, error: loaded.error, since: record.since, version: record.version };
      return;
    }
    Object.assign(record, { configVersion: loaded.configVersion, criEnabled: loaded.criEnabled, sandboxImage: loaded.sandboxImage, systemdCgroup: loaded.systemdCgroup });
  }
  if (unit === 'kubelet.service') record.version = packageVersion('kubelet');
  units[unit] = record;
}

export function stopUnit(units, unit) {
  if (!units[unit]) return;
  if (unit === 'containerd.service' && units[unit].active) containerdStopped(readText(unitFile(unit) ?? '') ?? '');
  units[unit] = { active: false, since: new Date().toISOString() };
}

/** Why a start just failed, as systemctl says it, or undefined. */
export function startFailure(units, unit) {
  return units[unit]?.failed ? `Job for ${unit} failed because the control process exited with error code.\nSee "systemctl status ${unit}" and "journalctl -xeu ${unit}" for details.` : undefined;
}

/** Whether the kubelet can reach a CRI it runs on: containerd up with its CRI plugin, of a version this kubelet supports. */
function runtimeReady(units, kubeletVersion) {
  const containerd = units['containerd.service'];
  return containerd?.active === true && containerd.criEnabled === true && kubeletRunsOn(kubeletVersion, containerd.version);
}

/**
 * Tells the cluster whether this host's kubelet runs (active, configured, on a
 * runtime it supports) and, when it does, the containers it keeps running.
 */
export function reportKubelet(host, units) {
  const version = units['kubelet.service']?.version ?? packageVersion('kubelet');
  const running = activeState(units, 'kubelet.service').active === 'active' && runtimeReady(units, version);
  const runtime = `containerd://${units['containerd.service']?.version ?? containerdVersion() ?? 'unknown'}`;
  return updateCluster((state) => {
    const containers = running ? syncContainers(state.cluster) : readContainers();
    recordKubelet(state, host, running, version, runtime, containers);
  });
}
