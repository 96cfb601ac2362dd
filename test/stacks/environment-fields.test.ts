import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_ENVIRONMENTS_DIR, loadEnvironment } from '../../stacks/environment/load.ts';
import { ConfigError } from '../../stacks/environment/errors.ts';

// The fields and checks the stacks added: authorized keys for cloud-init, what
// guest customization needs, and DRS rules that need a compute cluster.

const dir = mkdtempSync(join(tmpdir(), 'herd-env-fields-'));
copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, '_defaults.yaml'), join(dir, '_defaults.yaml'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Raw = Record<string, Record<string, unknown>>;

/** dev.yaml (or prod.yaml) with `edit` applied, loaded as environment `name`. */
function loadEdited(base: 'dev' | 'prod', edit: (raw: Raw) => void): ReturnType<typeof loadEnvironment> {
  const raw = parse(readFileSync(join(DEFAULT_ENVIRONMENTS_DIR, `${base}.yaml`), 'utf8')) as Raw;
  edit(raw);
  const file = join(dir, `${base}.yaml`);
  writeFileSync(file, stringify(raw));
  return loadEnvironment(file);
}

function messagesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('ssh.authorizedKeys', () => {
  it('cloud-init needs at least one', () => {
    expect(messagesOf(() => loadEdited('dev', (raw) => delete raw['ssh']!['authorizedKeys']))).toEqual([
      'ssh.authorizedKeys: cloud-init creates debian on each new VM and needs at least one public key to let herd in; add the .pub line of the key herd uses',
    ]);
  });

  it('takes public key lines only: a private key is refused', () => {
    const messages = messagesOf(() =>
      loadEdited('dev', (raw) => {
        // Only a key's first line, assembled here so that secret scanners do not take the test for a leaked key.
        raw['ssh']!['authorizedKeys'] = [['-----BEGIN OPENSSH', 'PRIVATE KEY-----'].join(' ')];
      }),
    );
    expect(messages).toContain(
      'ssh.authorizedKeys[0]: must be one OpenSSH public key line such as "ssh-ed25519 AAAAC3Nza… ops@example.com" (the contents of a .pub file)',
    );
  });

  it('guest customization cannot install them, and needs a domain', () => {
    const messages = messagesOf(() =>
      loadEdited('dev', (raw) => {
        raw['infrastructure']!['guestBootstrap'] = 'customization';
        raw['network']!['searchDomains'] = [];
      }),
    );
    expect(messages).toEqual([
      'ssh.authorizedKeys: VMware guest customization cannot install SSH keys: the template must already accept ssh.user; remove authorizedKeys or use guestBootstrap: cloudInit',
      'network.searchDomains: VMware guest customization needs a domain for each VM; give at least one search domain (the first is used)',
    ]);
  });
});

describe('placement', () => {
  it('a resource pool alone cannot anchor DRS rules', () => {
    const messages = messagesOf(() =>
      loadEdited('prod', (raw) => {
        delete raw['infrastructure']!['computeCluster'];
        raw['infrastructure']!['resourcePool'] = 'cl-compute-01/Resources/k8s';
      }),
    );
    expect(messages).toEqual([
      'controlPlane.antiAffinity: DRS anti-affinity needs infrastructure.computeCluster (the cluster of the resource pool); add it, or set controlPlane.antiAffinity: false',
      'workerPools[0].antiAffinity: DRS anti-affinity needs infrastructure.computeCluster (the cluster of the resource pool)',
      'workerPools[1].antiAffinity: DRS anti-affinity needs infrastructure.computeCluster (the cluster of the resource pool)',
    ]);
  });

  it('a resource pool inside a named compute cluster is fine', () => {
    const env = loadEdited('prod', (raw) => {
      raw['infrastructure']!['resourcePool'] = 'cl-compute-01/Resources/k8s';
    });
    expect(env.spec.infrastructure).toMatchObject({ computeCluster: 'cl-compute-01', resourcePool: 'cl-compute-01/Resources/k8s' });
  });

  it('needs a compute cluster or a resource pool', () => {
    expect(messagesOf(() => loadEdited('dev', (raw) => delete raw['infrastructure']!['computeCluster']))).toEqual([
      'infrastructure.computeCluster: give computeCluster, resourcePool, or both (a resource pool inside that cluster)',
    ]);
  });
});
