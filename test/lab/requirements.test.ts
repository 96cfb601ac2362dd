import { describe, expect, it } from 'vitest';
import { ensureRequirements, missingRequirements, requirements, type Installer } from '../../scripts/lab/requirements.ts';

// What `herd lab up` needs from Debian before it starts anything: decided from
// the files packages install, installed as root with apt-get, or named.

function machine(files: string[], options: { isRoot?: boolean; hasApt?: boolean; installs?: Record<string, string[]> } = {}) {
  const present = new Set(files);
  const calls: string[] = [];
  const said: string[] = [];
  const installer: Installer = {
    isRoot: options.isRoot ?? true,
    hasApt: options.hasApt ?? true,
    run(command, args) {
      calls.push([command, ...args].join(' '));
      if (command === 'apt-get' && args[0] === 'install') for (const pkg of args.filter((a) => !a.startsWith('-') && a !== 'install')) for (const f of options.installs?.[pkg] ?? []) present.add(f);
    },
    withoutServiceStarts(fn) {
      calls.push('(no service starts)');
      fn();
    },
    say: (line) => said.push(line),
  };
  return { installer, exists: (f: string) => present.has(f), calls, said };
}

const HOST_FILES = ['/usr/sbin/sshd', '/usr/bin/ssh-keygen', '/usr/bin/sudo', '/usr/bin/unshare', '/usr/bin/openssl', '/usr/bin/gpg', '/usr/sbin/ip'];

describe('the lab’s Debian packages', () => {
  it('needs BIRD only with a fabric and FRR only with routers', () => {
    expect(requirements({ fabric: false, routers: false }).map((r) => r.pkg)).not.toContain('bird');
    expect(requirements({ fabric: true, routers: true }).map((r) => r.pkg)).toEqual(expect.arrayContaining(['bird', 'frr', 'gettext-base', 'openssh-server', 'iproute2']));
    const m = machine(HOST_FILES);
    expect(missingRequirements(requirements({ fabric: true, routers: false }), m.exists).map((r) => r.pkg)).toEqual(['bird']);
  });

  it('does nothing when everything is there', () => {
    const m = machine(HOST_FILES);
    ensureRequirements(requirements({ fabric: false, routers: false }), m.installer, m.exists);
    expect(m.calls).toEqual([]);
  });

  it('installs what is missing with apt-get, as root, and says so', () => {
    const m = machine(HOST_FILES, { installs: { bird: ['/usr/sbin/bird'], frr: ['/usr/lib/frr/bgpd'], 'gettext-base': ['/usr/bin/envsubst'] } });
    ensureRequirements(requirements({ fabric: true, routers: true }), m.installer, m.exists);
    expect(m.calls).toEqual(['(no service starts)', 'apt-get update -qq', 'apt-get install -y -qq --no-install-recommends bird frr gettext-base']);
    expect(m.said).toEqual([
      'herd lab: installing bird (calico-node’s BGP on every node (BIRD 1.6.8)), frr (the routers and the load balancer (FRR)), gettext-base (routers are loaded as the rendered file’s header says (envsubst | vtysh))',
    ]);
  });

  it('disables the services of what it installed where systemd runs: no daemon of the machine’s own', () => {
    const m = machine([...HOST_FILES, '/run/systemd/system'], { installs: { frr: ['/usr/lib/frr/bgpd'], 'gettext-base': ['/usr/bin/envsubst'] } });
    ensureRequirements(requirements({ fabric: false, routers: true }), m.installer, m.exists);
    expect(m.calls.at(-1)).toBe('systemctl disable --now --quiet frr.service');
  });

  it('stops before anything else, naming the packages, when it is not root or has no apt-get', () => {
    const m = machine(HOST_FILES.filter((f) => f !== '/usr/sbin/ip'), { isRoot: false });
    expect(() => ensureRequirements(requirements({ fabric: true, routers: false }), m.installer, m.exists)).toThrow(
      'the lab needs Debian packages that are not installed: iproute2 (the lab’s network namespaces), bird (calico-node’s BGP on every node (BIRD 1.6.8)); install them as root: apt-get install iproute2 bird',
    );
    expect(m.calls).toEqual([]);
    const noApt = machine(HOST_FILES, { hasApt: false });
    expect(() => ensureRequirements(requirements({ fabric: true, routers: false }), noApt.installer, noApt.exists)).toThrow('install them as root: apt-get install bird');
  });

  it('fails naming what apt-get did not bring', () => {
    const m = machine(HOST_FILES);
    expect(() => ensureRequirements(requirements({ fabric: true, routers: false }), m.installer, m.exists)).toThrow('apt-get ran, and still missing: bird (calico-node’s BGP on every node (BIRD 1.6.8))');
  });
});
