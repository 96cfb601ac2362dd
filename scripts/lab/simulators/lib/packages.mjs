// What installing a simulated package puts on a lab host: the files its real
// package would (binaries as simulator wrappers, unit files, conffiles), its
// dpkg status paragraph, and the services its maintainer scripts enable.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BUNDLE_DIR, FIXTURES_DIR } from './paths.mjs';

const fixture = (name) => readFileSync(join(FIXTURES_DIR, 'files', name), 'utf8');

/** What the package's binary runs: the command's bundle, as the base commands' wrappers do. */
function wrapper(command) {
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  return `#!/bin/sh\nexec ${q(process.execPath)} ${q(join(BUNDLE_DIR, `${command}.mjs`))} "$@"\n`;
}

/**
 * Per package: files { path, content (thunk), mode, conffile }, directories,
 * and services its postinst enables and starts.
 */
const CONTENTS = {
  kubeadm: {
    files: [
      { path: '/usr/bin/kubeadm', content: () => wrapper('kubeadm'), mode: 0o755 },
      { path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', content: () => fixture('10-kubeadm.conf'), mode: 0o644 },
    ],
  },
  kubelet: {
    files: [
      { path: '/usr/bin/kubelet', content: () => wrapper('kubelet'), mode: 0o755 },
      { path: '/usr/lib/systemd/system/kubelet.service', content: () => fixture('kubelet.service'), mode: 0o644 },
    ],
    directories: ['/etc/kubernetes/manifests'],
    services: ['kubelet.service'],
  },
  kubectl: { files: [{ path: '/usr/bin/kubectl', content: () => wrapper('kubectl'), mode: 0o755 }] },
  'kubernetes-cni': { directories: ['/opt/cni/bin'] },
  'containerd.io': {
    files: [
      { path: '/usr/lib/systemd/system/containerd.service', content: () => fixture('containerd.service'), mode: 0o644 },
      { path: '/etc/containerd/config.toml', content: () => fixture('containerd.io-config.toml'), mode: 0o644, conffile: true },
    ],
    services: ['containerd.service'],
  },
  containerd: {
    files: [{ path: '/usr/lib/systemd/system/containerd.service', content: () => fixture('containerd.service'), mode: 0o644 }],
    services: ['containerd.service'],
  },
};

export function packageServices(name) {
  return CONTENTS[name]?.services ?? [];
}

export function hasConffiles(name) {
  return (CONTENTS[name]?.files ?? []).some((f) => f.conffile);
}

/** Unpacks a package's files; a conffile the admin already has is kept, as dpkg does. */
export function unpack(name) {
  const contents = CONTENTS[name] ?? {};
  const listed = [...(contents.directories ?? []), ...(contents.files ?? []).map((f) => f.path)];
  writeFileSync(`/var/lib/dpkg/info/${name}.list`, listed.length > 0 ? `${listed.join('\n')}\n` : '/.\n');
  for (const dir of contents.directories ?? []) mkdirSync(dir, { recursive: true });
  for (const file of contents.files ?? []) {
    if (file.conffile && existsSync(file.path)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content(), { mode: file.mode });
    chmodSync(file.path, file.mode);
  }
}

/** Removes a package's files; conffiles stay unless purging. */
export function removeFiles(name, purge) {
  rmSync(`/var/lib/dpkg/info/${name}.list`, { force: true });
  for (const file of CONTENTS[name]?.files ?? []) {
    if (file.conffile && !purge) continue;
    rmSync(file.path, { force: true });
  }
}

/** The dpkg status paragraph of an installed package. */
export function statusFields(pkg, version, want = 'install') {
  return [
    ['Package', pkg.name],
    ['Status', `${want} ok installed`],
    ['Priority', 'optional'],
    ['Section', pkg.section ?? 'misc'],
    ['Installed-Size', '1024'],
    ['Maintainer', pkg.maintainer ?? 'Debian'],
    ['Architecture', 'amd64'],
    ['Version', version],
    ...(pkg.depends?.length ? [['Depends', pkg.depends.join(', ')]] : []),
    ['Description', `${pkg.description}\n (simulated by the herd lab: no real binary is installed)`],
  ];
}
