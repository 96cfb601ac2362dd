// Package sources and what they offer, for the simulated apt-get.
//
// Sources are the real files the host's scripts write (/etc/apt/sources.list,
// /etc/apt/sources.list.d/*.list and *.sources). Three kinds of repository
// are known: the distribution's archive (always available, as on a cloud
// image whose package lists are current), the Kubernetes community
// repository (any URL ending in /core:/stable:/v1.N/deb/, so a mirror of
// pkgs.k8s.io works, for the minors in herd's table of versions, each with
// its patches up to the newest the table knows) and Docker's
// (download.docker.com/linux/debian|ubuntu, for containerd.io, every patch of
// every containerd line in the table). The latter two must be signed by the fixture key their
// URL serves (see curl) and need `apt-get update` before their packages show.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJson } from './files.mjs';
import { DISK_DIR, FIXTURES_DIR } from './paths.mjs';
import { compareVersions } from './dpkg.mjs';
import { containerdReleases, kubernetesPatches, versionTable } from './versions.mjs';

const INDEX_FILE = join(DISK_DIR, 'apt-index.json');

export const REPOSITORY_KEYS = {
  kubernetes: { file: 'kubernetes-release.key', keyId: '90F7342554D371A3' },
  docker: { file: 'docker.asc', keyId: '25F8881471E90554' },
};

/** Names and versions the distribution archive offers beyond what the machine has installed. */
const DISTRIBUTION_PACKAGES = JSON.parse(readFileSync(join(FIXTURES_DIR, 'distribution-packages.json'), 'utf8'));

function fixtureKey(kind) {
  return readFileSync(join(FIXTURES_DIR, REPOSITORY_KEYS[kind].file), 'utf8');
}

/** The binary form of an ASCII-armored key, what `gpg --dearmor` writes. */
export function dearmor(armored) {
  const lines = armored.trim().split('\n');
  const start = lines.findIndex((l) => l.trim() === '') + 1;
  const body = lines.slice(start).filter((l) => !l.startsWith('=') && !l.startsWith('-----'));
  return Buffer.from(body.join(''), 'base64');
}

/** Whether a keyring file holds the key of a repository kind, armored or binary. */
export function keyringHolds(path, kind) {
  let content;
  try {
    content = readFileSync(path);
  } catch {
    return false;
  }
  const armored = fixtureKey(kind);
  if (content.toString('utf8').includes(armored.trim().split('\n').slice(2, 4).join('\n'))) return true;
  return content.includes(dearmor(armored));
}

/** Identifies a source: { kind, minor? } or undefined for an unknown repository. */
export function classify(uri, suite) {
  const k8s = /\/core:\/stable:\/v(\d+)\.(\d+)\/deb\/?$/.exec(uri);
  // pkgs.k8s.io has a repository per released minor; others answer 404.
  if (k8s && suite === '/') return kubernetesPatches(`${k8s[1]}.${k8s[2]}`).length > 0 ? { kind: 'kubernetes', minor: `${k8s[1]}.${k8s[2]}` } : undefined;
  if (/^https?:\/\/download\.docker\.com\/linux\/(debian|ubuntu)\/?$/.test(uri)) return { kind: 'docker' };
  if (/^https?:\/\/([a-z0-9.-]+\.)?(debian\.org|ubuntu\.com)\//.test(uri) || /\/(debian|debian-security|ubuntu)\/?$/.test(uri)) {
    return { kind: 'distribution' };
  }
  return undefined;
}

function parseOneLine(file, text) {
  const sources = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line.startsWith('deb ')) continue;
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    const options = Object.fromEntries((m[1] ?? '').split(/\s+/).filter(Boolean).map((o) => o.split('=')));
    sources.push({ file, uri: m[2], suite: m[3], components: (m[4] ?? '').split(/\s+/).filter(Boolean), signedBy: options['signed-by'] });
  }
  return sources;
}

function parseDeb822(file, text) {
  const sources = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = {};
    let last;
    for (const line of block.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last) {
        fields[last] += `\n${line.trim()}`;
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields[(last = m[1].toLowerCase())] = m[2];
    }
    if (!fields.types?.split(/\s+/).includes('deb') || fields.enabled === 'no') continue;
    for (const uri of (fields.uris ?? '').split(/\s+/).filter(Boolean)) {
      for (const suite of (fields.suites ?? '').split(/\s+/).filter(Boolean)) {
        sources.push({ file, uri, suite, components: (fields.components ?? '').split(/\s+/).filter(Boolean), signedBy: fields['signed-by'] });
      }
    }
  }
  return sources;
}

export function readSources() {
  const sources = [];
  if (existsSync('/etc/apt/sources.list')) sources.push(...parseOneLine('/etc/apt/sources.list', readFileSync('/etc/apt/sources.list', 'utf8')));
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (name.endsWith('.list')) sources.push(...parseOneLine(file, readFileSync(file, 'utf8')));
      if (name.endsWith('.sources')) sources.push(...parseDeb822(file, readFileSync(file, 'utf8')));
    }
  }
  return sources;
}

/** Whether the repository's signature verifies with what the source trusts. */
export function signatureVerifies(source, kind) {
  if (kind === 'distribution') return true;
  if (source.signedBy) {
    if (source.signedBy.includes('BEGIN PGP PUBLIC KEY BLOCK')) return source.signedBy.includes(fixtureKey(kind).split('\n')[2]);
    return source.signedBy.split(/[\s,]+/).some((path) => keyringHolds(path, kind));
  }
  const trusted = ['/etc/apt/trusted.gpg', ...(existsSync('/etc/apt/trusted.gpg.d') ? readdirSync('/etc/apt/trusted.gpg.d').map((n) => join('/etc/apt/trusted.gpg.d', n)) : [])];
  return trusted.some((path) => keyringHolds(path, kind));
}

export function sourceId(source) {
  return `${source.uri.replace(/\/$/, '')} ${source.suite}`;
}

export function readIndex() {
  return readJson(INDEX_FILE, { updated: [] });
}

export function writeIndex(index) {
  writeJson(INDEX_FILE, index);
}

function kubernetesPackages(minor, uri) {
  const revision = versionTable().kubernetes.packageRevision;
  const versions = kubernetesPatches(minor).map((v) => `${v}-${revision}`);
  const origin = `${uri.replace(/\/$/, '')}/`;
  const base = { origin, repo: 'kubernetes', section: 'admin', maintainer: 'Kubernetes Authors <dev@kubernetes.io>' };
  return [
    { ...base, name: 'kubeadm', versions, depends: ['cri-tools'], description: 'Command-line utility for administering a Kubernetes cluster' },
    {
      ...base,
      name: 'kubelet',
      versions,
      depends: ['kubernetes-cni', 'iptables', 'iproute2', 'socat', 'util-linux', 'mount', 'ebtables', 'ethtool', 'conntrack'],
      description: 'Node agent for Kubernetes clusters',
    },
    { ...base, name: 'kubectl', versions, depends: [], description: 'Command-line utility for interacting with a Kubernetes cluster' },
    { ...base, name: 'cri-tools', versions: [`${minor}.0-${revision}`], depends: [], description: 'Command-line utility for interacting with a container runtime' },
    { ...base, name: 'kubernetes-cni', versions: ['1.7.1-1.1'], depends: [], description: 'Binaries required to provision kubernetes container networking' },
  ];
}

function dockerPackages(uri) {
  const versions = containerdReleases().map((v) => `${v}-1`);
  return [
    {
      origin: `${uri.replace(/\/$/, '')}/`,
      repo: 'docker',
      name: 'containerd.io',
      versions,
      depends: [],
      section: 'devel',
      maintainer: 'Containerd team <help@containerd.io>',
      description: 'An open and reliable container runtime',
      conflicts: ['containerd', 'runc'],
    },
  ];
}

function distributionPackages(uri) {
  return Object.entries(DISTRIBUTION_PACKAGES).map(([name, info]) => ({
    origin: uri,
    repo: 'distribution',
    name,
    versions: [info.version],
    depends: info.depends ?? [],
    section: info.section ?? 'misc',
    maintainer: 'Debian',
    description: info.description ?? name,
  }));
}

/**
 * Packages available now: from the distribution archive, and from each
 * configured Kubernetes or Docker source that `apt-get update` fetched.
 * Returns Map name → { ...package, versions (ascending) }.
 */
export function availablePackages() {
  const index = readIndex();
  const fetched = new Set(index.updated);
  const byName = new Map();
  const add = (pkg) => {
    const known = byName.get(pkg.name);
    const versions = [...new Set([...(known?.versions ?? []), ...pkg.versions])].sort(compareVersions);
    byName.set(pkg.name, { ...(known ?? pkg), versions });
  };
  const distribution = readSources().find((s) => classify(s.uri, s.suite)?.kind === 'distribution');
  for (const pkg of distributionPackages(distribution?.uri ?? 'http://deb.debian.org/debian')) add(pkg);
  for (const source of readSources()) {
    const kind = classify(source.uri, source.suite);
    if (!kind || kind.kind === 'distribution' || !fetched.has(sourceId(source))) continue;
    const pkgs = kind.kind === 'kubernetes' ? kubernetesPackages(kind.minor, source.uri) : dockerPackages(source.uri);
    for (const pkg of pkgs) add(pkg);
  }
  return byName;
}

/** Matches an apt version pattern (exact, or with * as apt's glob) against versions; returns the highest match. */
export function pickVersion(versions, pattern) {
  if (!pattern.includes('*')) return versions.includes(pattern) ? pattern : undefined;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return versions.filter((v) => re.test(v)).at(-1);
}
