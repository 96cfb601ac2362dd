// What the lab's simulated internet serves: a few deterministic fixtures for
// the URLs node scripts fetch; everything else is 404. Nothing leaves the machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './paths.mjs';
import { REPOSITORY_KEYS } from './apt.mjs';
import { calicoManifest } from './manifests.mjs';
import { versionTable } from './versions.mjs';


/** { status, body } for a URL. */
export function fixtureForUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return { status: 400, body: '' };
  }
  const path = parsed.pathname;
  // pkgs.k8s.io or a mirror of it: /core:/stable:/v1.34/deb/Release.key
  if (/\/core:\/stable:\/v\d+\.\d+\/deb\/Release\.key$/.test(path)) {
    return { status: 200, body: readFileSync(join(FIXTURES_DIR, REPOSITORY_KEYS.kubernetes.file), 'utf8') };
  }
  if (parsed.hostname === 'download.docker.com' && /^\/linux\/(debian|ubuntu)\/gpg$/.test(path)) {
    return { status: 200, body: readFileSync(join(FIXTURES_DIR, REPOSITORY_KEYS.docker.file), 'utf8') };
  }
  // Calico release manifests, from GitHub or a mirror keeping the file names.
  const calico = /(?:\/v(\d+\.\d+\.\d+))?\/(?:manifests\/)?(tigera-operator|operator-crds|custom-resources)\.yaml$/.exec(path);
  if (calico) {
    const body = calicoManifest(calico[1] ?? versionTable().calico.default, `${calico[2]}.yaml`);
    if (body) return { status: 200, body };
  }
  return { status: 404, body: '404: Not Found' };
}
