import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENVIRONMENTS_DIR } from '../../stacks/environment/load.ts';
import { startVcsim, type RunningVcsim } from '../../scripts/lab/vcsim/vcsim.ts';
import { EnvironmentFolder, PASSWORD, devInventory, herd, herdWatchingCommandLines, vsphereEnv, type RawEnvironment, type Run } from './fixtures.ts';
import { inventorySnapshot } from './inventory-snapshot.ts';

// `herd preflight` against VMware's vCenter simulator: a valid environment
// passes and prints its capacity table; each way a deploy would stop half-way
// fails with the environment file, line and YAML path, exit 2, and nothing
// is created in vCenter.

const ADDRESS = '127.44.0.1';
let vcsim: RunningVcsim;
let envs: EnvironmentFolder;
let before: string[];

beforeAll(async () => {
  vcsim = await startVcsim(ADDRESS, devInventory());
  envs = new EnvironmentFolder(vcsim.server);
  before = await inventorySnapshot(vcsim);
});

afterAll(async () => {
  await vcsim?.stop();
  envs?.remove();
});

function preflight(name: string, edit?: (env: RawEnvironment) => void, extraEnv: Record<string, string> = {}, trustCa = true): Run & { file: string } {
  const file = envs.write(name, edit);
  return { ...herd(envs.dir, ['preflight', name], vsphereEnv(trustCa ? vcsim.caFile : undefined, extraEnv)), file };
}

/** The one problem line of a failed run, with file and line: `<file>:<line>: <path>: <message>`. */
function expectProblem(r: Run & { file: string }, path: string, message: string): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^${escape(r.file)}:\\d+: ${escape(path)}: ${escape(message)}`, 'm'));
  expect(r.stderr).toContain('nothing was changed.');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a valid environment', () => {
  it('passes and prints what it needs, what exists, what the change adds and what is free', async () => {
    const r = preflight('dev');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await expect(r.stdout.replaceAll(envs.dir, '<environments>')).toMatchFileSnapshot('__snapshots__/dev.preflight.txt');
  });

  it('warns that linked clones ignore diskGiB, at the YAML path of each size', () => {
    const r = preflight('dev');
    expect(r.stdout).toMatch(/^WARNING: .*dev\.yaml:\d+: controlPlane\.diskGiB: 40 GiB is ignored: linked clones keep the template's 10 GiB system disk/m);
    expect(r.stdout).toMatch(/^WARNING: .*dev\.yaml:\d+: workerPools\[0\]\.diskGiB: 60 GiB is ignored/m);
    const full = preflight('full', (env) => (env['infrastructure']['cloneType'] = 'full'));
    expect(full.status).toBe(0);
    expect(full.stdout).not.toContain('WARNING');
  });

  it('counts the VMs of the environment that already exist once', () => {
    // stage has 2 of its 7 VMs running (6 vCPU): the other 5 add 20 vCPU, which fits the 22 free with N+1; 26 would not.
    const r = preflight('stage', (env) => (env['workerPools'][0]['count'] = 6));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vCPU\s+26\s+6\s+\+20\s+38\s+22\s+2$/m);
    expect(r.stdout).toMatch(/^memory \(GiB\)\s+52\s+12\s+\+40\s+164\s+100\s+60$/m);
  });

  it('a datastore cluster is planned with its free space', () => {
    const r = preflight('sdrs', (env) => {
      delete env['infrastructure']['datastore'];
      env['infrastructure']['datastoreCluster'] = 'dsc-ssd';
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('and datastore cluster dsc-ssd:');
    expect(r.stdout).toMatch(/^disk \(GiB\)\s+50\s+0\s+\+50\s+600\s+-\s+550$/m);
  });

  it('a resource pool by path places the VMs in its cluster', () => {
    const r = preflight('pool', (env) => (env['infrastructure']['resourcePool'] = 'cl-dev/Resources/kubernetes'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('costs seven round trips to vCenter, whatever the checks', () => {
    const r = herd(envs.dir, ['preflight', 'dev', '--timings'], vsphereEnv(vcsim.caFile));
    expect(r.status, r.stderr).toBe(0);
    const steps = r.stdout.slice(r.stdout.indexOf('\nstep '));
    const trips = Object.fromEntries([...steps.matchAll(/^(.+?)\s{2,}(\d+)\s+[\d.]+$/gm)].map((m) => [m[1]!.trim(), Number(m[2])]));
    expect(trips).toEqual({ 'connect and log in': 2, 'read the datacenter': 3, names: 0, 'read template and environment disks': 1, template: 0, 'anti-affinity': 0, capacity: 0, 'log out': 1, total: 7 });
  });
});

describe('names that do not exist stop the deploy before anything is created', () => {
  it.each([
    ['folder', (env: RawEnvironment) => (env['infrastructure']['folder'] = 'k8s'), 'infrastructure.folder', 'no VM folder k8s in datacenter dc-dev: herd creates k8s/'],
    ['template', (env: RawEnvironment) => (env['infrastructure']['template'] = 'debian-13-genericcloud'), 'infrastructure.template', 'no template (virtual machine) "debian-13-genericcloud" in datacenter dc-dev; it has'],
    ['network', (env: RawEnvironment) => (env['infrastructure']['network'] = 'pg-k8s-prod'), 'infrastructure.network', 'no port group "pg-k8s-prod" in datacenter dc-dev; it has'],
    ['datastore', (env: RawEnvironment) => (env['infrastructure']['datastore'] = 'ds-dev-02'), 'infrastructure.datastore', 'no datastore "ds-dev-02" in datacenter dc-dev; it has ds-dev-01, ds-ssd-1, ds-ssd-2'],
    ['cluster', (env: RawEnvironment) => (env['infrastructure']['computeCluster'] = 'cl-prod'), 'infrastructure.computeCluster', 'no compute cluster "cl-prod" in datacenter dc-dev; it has cl-dev'],
    ['pool', (env: RawEnvironment) => (env['infrastructure']['resourcePool'] = 'cl-dev/Resources/batch'), 'infrastructure.resourcePool', 'no resource pool "cl-dev/Resources/batch" in datacenter dc-dev'],
    ['datacenter', (env: RawEnvironment) => (env['infrastructure']['datacenter'] = 'dc-prod'), 'infrastructure.datacenter', `no datacenter dc-prod in vCenter ${ADDRESS}`],
  ])('missing %s', (what, edit, path, message) => {
    expectProblem(preflight(`no-${what}`, edit), path, message);
  });

  it('reports every missing name at once', () => {
    const r = preflight('all-wrong', (env) => {
      Object.assign(env['infrastructure'], { computeCluster: 'cl-x', datastore: 'ds-x', network: 'pg-x', folder: 'f-x', template: 't-x' });
    });
    expect(r.status).toBe(2);
    for (const field of ['computeCluster', 'datastore', 'network', 'folder', 'template']) expect(r.stderr).toContain(`: infrastructure.${field}: no `);
    expect(r.stderr).toContain('5 problems found; nothing was changed.');
  });
});

describe('the template must suit the clones', () => {
  it('linked clones need a snapshot', () => {
    expectProblem(preflight('nosnap', (env) => (env['infrastructure']['template'] = 'debian-12-nosnap')), 'infrastructure.cloneType', 'linked clones start from a snapshot, and template debian-12-nosnap has none');
  });

  it('full clones do not', () => {
    const r = preflight('nosnap-full', (env) => Object.assign(env['infrastructure'], { template: 'debian-12-nosnap', cloneType: 'full' }));
    expect(r.status, r.stderr).toBe(0);
  });

  it('guest customization needs a Linux guest ID', () => {
    const r = preflight('custom', (env) => {
      Object.assign(env['infrastructure'], { template: 'appliance', guestBootstrap: 'customization' });
      env['ssh']['authorizedKeys'] = [];
    });
    expectProblem(r, 'infrastructure.guestBootstrap', 'VMware guest customization sets name and address with its Linux options, and template appliance has guest ID otherGuest64, which is not a Linux guest');
  });
});

describe('capacity, with room to lose one ESXi host (N+1)', () => {
  const workers = (count: number, sizes: Record<string, number> = {}) => (env: RawEnvironment) => Object.assign(env['workerPools'][0], { count, ...sizes });

  it('not enough vCPU on every host', () => {
    expectProblem(preflight('cpu', workers(10)), 'workerPools[0].count', 'the change adds 42 vCPU, and cl-dev has 38 vCPU free on its 3 usable hosts');
  });

  it('enough vCPU only while every host runs', () => {
    expectProblem(preflight('cpu-n1', workers(6)), 'workerPools[0].count', 'the change adds 26 vCPU: cl-dev has 38 vCPU free, but only 22 with room to lose its largest host (esx-1, N+1)');
  });

  it('not enough memory on every host', () => {
    expectProblem(preflight('mem', workers(2, { memoryMiB: 90112 })), 'workerPools[0].count', 'the change adds 180 GiB of memory, and cl-dev has 164 GiB free on its 3 usable hosts');
  });

  it('enough memory only while every host runs', () => {
    expectProblem(preflight('mem-n1', workers(2, { memoryMiB: 51200 })), 'workerPools[0].count', 'the change adds 104 GiB of memory: cl-dev has 164 GiB free, but only 100 with room to lose its largest host (esx-1, N+1)');
  });

  it('not enough disk on the datastore, swap files included', () => {
    expectProblem(preflight('disk', workers(2, { dataDiskGiB: 300 })), 'infrastructure.datastore', 'the change adds 650 GiB of disk (system and data disks and each VM\'s swap file), and datastore ds-dev-01 has 500 GiB free');
  });
});

describe('DRS anti-affinity against the hosts that can run VMs', () => {
  const spread = (count: number) => (env: RawEnvironment) => Object.assign(env['workerPools'][0], { count, antiAffinity: true, cpu: 1, memoryMiB: 2048 });

  it('a rule with more VMs than usable hosts fails', () => {
    expectProblem(preflight('aa', spread(4)), 'workerPools[0].antiAffinity', 'DRS rule aa-general keeps 4 VMs on different ESXi hosts, and cl-dev has 3 usable hosts (esx-4 disconnected or in maintenance mode)');
  });

  it('a rule that needs every usable host passes with a warning', () => {
    const r = preflight('aa-tight', spread(3));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^WARNING: .*aa-tight\.yaml:\d+: workerPools\[0\]\.antiAffinity: DRS rule aa-tight-general needs every one of cl-dev's 3 usable hosts/m);
  });
});

describe('credentials and TLS', () => {
  it('a wrong password fails without showing it', () => {
    const r = preflight('dev', undefined, { VSPHERE_PASSWORD: `${PASSWORD}-wrong` });
    expectProblem(r, 'infrastructure.server', `vCenter ${ADDRESS} refused the login of VSPHERE_USER (ops@vsphere.local): wrong user name or VSPHERE_PASSWORD`);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });

  it('missing credentials are named by their variables', () => {
    const file = envs.write('dev');
    const r = herd(envs.dir, ['preflight', 'dev'], { PATH: process.env['PATH'] ?? '', SSL_CERT_FILE: vcsim.caFile });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:`);
    expect(r.stderr).toContain("infrastructure.server: the vSphere provider's variables VSPHERE_USER, VSPHERE_PASSWORD are not set");
  });

  it('a certificate herd cannot verify is refused, and VSPHERE_ALLOW_UNVERIFIED_SSL does not change that', () => {
    for (const extra of [{}, { VSPHERE_ALLOW_UNVERIFIED_SSL: 'true' }] as Record<string, string>[]) {
      const r = preflight('dev', undefined, extra, false);
      expectProblem(r, 'infrastructure.allowUnverifiedSsl', `the TLS certificate of vCenter ${ADDRESS} cannot be verified (UNABLE_TO_VERIFY_LEAF_SIGNATURE`);
      expect(r.stderr).toContain('install its CA in the system\'s trust store or name it in SSL_CERT_FILE');
    }
  });

  it('allowUnverifiedSsl: true in the environment file accepts it', () => {
    const r = preflight('insecure', (env) => (env['infrastructure']['allowUnverifiedSsl'] = true), {}, false);
    expect(r.status, r.stderr).toBe(0);
  });

  it('a CA in NODE_EXTRA_CA_CERTS is trusted too', () => {
    const r = preflight('dev', undefined, { NODE_EXTRA_CA_CERTS: vcsim.caFile }, false);
    expect(r.status, r.stderr).toBe(0);
  });

  it('the password is on no command line while the preflight runs, nor in its output', async () => {
    envs.write('dev');
    const r = await herdWatchingCommandLines(envs.dir, ['preflight', 'dev'], vsphereEnv(vcsim.caFile));
    expect(r.status, r.stderr).toBe(0);
    expect(r.commandLines.some((l) => l.includes('herd.mjs') && l.includes('preflight dev'))).toBe(true);
    expect(r.commandLines.some((l) => l.includes(ADDRESS))).toBe(true);
    for (const line of r.commandLines) expect(line).not.toContain(PASSWORD.slice(0, 19));
    expect(r.stdout + r.stderr).not.toContain(PASSWORD.slice(0, 19));
  });
});

describe('what the preflight is not', () => {
  it('a vCenter that does not answer stops it before anything is touched (exit 2), saying what to check', () => {
    const r = preflight('away', (env) => (env['infrastructure']['server'] = '127.44.0.9'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^herd: cannot reach vCenter: .*ECONNREFUSED 127\.44\.0\.9:443.*\. Check infrastructure\.server \(or VSPHERE_SERVER\), that vCenter answers on port 443, and firewalls between here and it\. Nothing was created\.\n$/);
  });

  it('static hosts have nothing to check', () => {
    copyFileSync(join(DEFAULT_ENVIRONMENTS_DIR, 'lab.yaml'), join(envs.dir, 'lab.yaml'));
    const r = herd(envs.dir, ['preflight', 'lab'], vsphereEnv(undefined));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('lab: static hosts, no vSphere to check\n');
  });

  it('it changed nothing in vCenter, whatever it found', async () => {
    expect(await inventorySnapshot(vcsim)).toEqual(before);
  });
});
