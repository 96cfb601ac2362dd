import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labStatus, openLab, startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { findSandboxProcesses } from '../../scripts/lab/processes.ts';
import { LabPaths } from '../../scripts/lab/paths.ts';
import { connect, exec, Sessions, tempStateDir } from './helpers.ts';

// Addresses 127.20.1.x: clear of lab.yaml's 127.10.x.y and of the other lab test files.
const HOSTS = [
  { name: 'life-cp-1', address: '127.20.1.11' },
  { name: 'life-worker-1', address: '127.20.1.12' },
  { name: 'life-worker-2', address: '127.20.1.13' },
];

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[1]?.startsWith(dir));
}

describe('lab hosts', () => {
  const stateDir = tempStateDir('lifecycle');
  let lab: Lab;
  let ssh: Sessions;

  beforeAll(async () => {
    lab = await startLab({ stateDir, hosts: HOSTS });
    ssh = new Sessions(lab);
  });
  afterAll(async () => {
    ssh?.close();
    await stopLab(stateDir);
  });

  it('answers SSH on each address with its own hostname and host key', async () => {
    const keys = new Set<string>();
    for (const { name } of HOSTS) {
      const client = await connect(lab, name);
      const result = await exec(client, 'hostname; cat /etc/hostname; getent hosts $(hostname)');
      client.end();
      expect(result.stdout.split('\n').slice(0, 2)).toEqual([name, name]);
      expect(result.stdout).toContain(lab.host(name).address);
      expect(client.hostKey).toBeDefined();
      keys.add(client.hostKey!.toString('base64'));
      expect(lab.hostKey(name)).toContain(client.hostKey!.toString('base64'));
    }
    expect(keys.size).toBe(HOSTS.length);
    expect(lab.knownHosts().trim().split('\n')).toHaveLength(HOSTS.length);
  });

  it('keeps the login key private and logs in as a key-only user with passwordless sudo', async () => {
    expect(statSync(lab.keyFile).mode & 0o777).toBe(0o600);
    expect(await ssh.run('life-cp-1', 'id -un; sudo -n true && echo sudo-ok; sudo grep "^herd:" /etc/shadow | cut -d: -f2')).toMatchObject({
      code: 0,
      stdout: 'herd\nsudo-ok\n*\n',
    });
  });

  it('gives a clean login environment: nothing from the machine root profile', async () => {
    const user = await ssh.run('life-cp-1', 'env');
    const root = await ssh.run('life-cp-1', 'sudo -i env');
    for (const out of [user.stdout, root.stdout]) {
      expect(out).not.toMatch(/PYENV|pyenv|\.cargo/);
    }
    expect(user.stdout).toMatch(/^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin/m);
  });

  it('puts simulators in place of the real tools and hides Kubernetes tools the machine may have', async () => {
    const result = await ssh.run('life-cp-1', 'for c in systemctl modprobe sysctl swapoff apt-get apt-mark dpkg-query curl; do sudo head -c 300 "$(sudo which $c)" | grep -q herd-lab/bundle/$c.mjs && sudo test -s /usr/local/lib/herd-lab/bundle/$c.mjs && echo "$c simulated"; done; command -v kubectl kubeadm kubelet || echo no-kube-tools');
    expect(result.stdout).toBe(
      ['systemctl', 'modprobe', 'sysctl', 'swapoff', 'apt-get', 'apt-mark', 'dpkg-query', 'curl'].map((c) => `${c} simulated\n`).join('') + 'no-kube-tools\n',
    );
  });

  it('serves SFTP', async () => {
    const client = await connect(lab, 'life-worker-1');
    const content = await new Promise<string>((resolve, reject) => {
      client.sftp((err, sftp) => {
        if (err) return reject(err);
        sftp.writeFile('/tmp/sftp-probe', 'over sftp\n', (werr) => {
          if (werr) return reject(werr);
          sftp.readFile('/tmp/sftp-probe', (rerr, data) => (rerr ? reject(rerr) : resolve(data.toString())));
        });
      });
    });
    client.end();
    expect(content).toBe('over sftp\n');
    expect(lab.readFile('life-worker-1', '/tmp/sftp-probe')).toBe('over sftp\n');
  });

  it('shows no mount of a host on the machine and reports status per host', async () => {
    expect(mountsUnder(stateDir)).toEqual([]);
    const status = await labStatus(stateDir);
    expect(status.map((h) => [h.name, h.running, h.ssh])).toEqual(HOSTS.map((h) => [h.name, true, 'answering']));
  });

  it('keeps running hosts and adds new ones on a second start', async () => {
    const pid = lab.host('life-cp-1').pid;
    const more = await startLab({ stateDir, hosts: [...HOSTS, { name: 'life-worker-3', address: '127.20.1.14' }] });
    expect(more.host('life-cp-1').pid).toBe(pid);
    expect(more.hosts.map((h) => h.name)).toEqual([...HOSTS.map((h) => h.name), 'life-worker-3']);
  });

  it('restarts hosts whose processes were killed, and cleans what they left', async () => {
    const victim = lab.host('life-worker-1');
    process.kill(victim.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect((await labStatus(stateDir)).find((h) => h.name === 'life-worker-1')).toMatchObject({ running: false, ssh: 'refused' });
    const healed = await startLab({ stateDir, hosts: HOSTS });
    expect(healed.host('life-worker-1').pid).not.toBe(victim.pid);
    expect(healed.host('life-cp-1').pid).toBe(lab.host('life-cp-1').pid);
    const result = await exec(await connect(healed, 'life-worker-1'), 'hostname');
    expect(result.stdout).toBe('life-worker-1\n');
  });

  it('cannot change the machine: /etc/ssh and /etc stay as they were', async () => {
    const before = readdirSync('/etc/ssh').sort();
    const result = await ssh.run('life-worker-2', 'sudo rm -rf /etc/ssh && sudo touch /etc/herd-canary && ls /etc/herd-canary && ls /etc/ssh 2>&1');
    expect(result.stdout).toContain('/etc/herd-canary');
    expect(result.stdout).toContain('No such file or directory');
    expect(readdirSync('/etc/ssh').sort()).toEqual(before);
    expect(existsSync('/etc/herd-canary')).toBe(false);
    // Nor the machine's kernel settings or mounts.
    const sysctl = await ssh.run('life-worker-2', 'echo 1 | sudo tee /proc/sys/net/ipv4/ip_forward; sudo mount -t tmpfs none /mnt');
    expect(sysctl.code).not.toBe(0);
    expect(sysctl.stderr).toMatch(/Read-only file system|Permission denied/);
    expect(sysctl.stderr).toMatch(/mount: .*(permission denied|must be superuser)/i);
  });

  it('rejects addresses outside loopback, the machine address and duplicates, naming them', async () => {
    const bad = join(stateDir, 'not-started');
    await expect(startLab({ stateDir: bad, hosts: [{ name: 'x', address: '10.0.0.1' }] })).rejects.toThrow(
      'lab host x: address "10.0.0.1" is not an IPv4 loopback address (127.0.0.0/8); the lab never addresses anything outside this machine',
    );
    await expect(startLab({ stateDir: bad, hosts: [{ name: 'x', address: '127.0.0.1' }] })).rejects.toThrow(
      'lab host x: 127.0.0.1 belongs to the machine itself; pick another 127.x.y.z address',
    );
    await expect(
      startLab({
        stateDir: bad,
        hosts: [
          { name: 'x', address: '127.20.1.50' },
          { name: 'x', address: '127.20.1.51' },
        ],
      }),
    ).rejects.toThrow('lab host name "x" appears twice');
    await expect(startLab({ stateDir: bad, hosts: [{ name: 'Bad_Name', address: '127.20.1.52' }] })).rejects.toThrow(
      'lab host name "Bad_Name" is not a DNS label',
    );
    await expect(startLab({ stateDir: bad, hosts: [{ name: 'taken', address: '127.20.1.11' }] })).rejects.toThrow(
      '127.20.1.11:22 is already in use by something that is not this lab',
    );
  });
});

describe('stopping a lab', () => {
  it('kills every process by PID, leaves no mount and removes what it created, also after a crash of the lab processes', async () => {
    const stateDir = tempStateDir('stop');
    const lab = await startLab({ stateDir, hosts: [{ name: 'stop-1', address: '127.20.1.31' }, { name: 'stop-2', address: '127.20.1.32' }] });
    const paths = new LabPaths(stateDir);
    expect(findSandboxProcesses(paths.hostsDir)).toHaveLength(4);
    // A crash: the first host's unshare dies; a later start cleans it.
    process.kill(lab.host('stop-1').pid, 'SIGKILL');
    await startLab({ stateDir, hosts: [{ name: 'stop-1', address: '127.20.1.31' }, { name: 'stop-2', address: '127.20.1.32' }] });
    const running = openLab(stateDir).hosts;
    await stopLab(stateDir);
    expect(findSandboxProcesses(paths.hostsDir)).toEqual([]);
    for (const h of running) expect(existsSync(`/proc/${h.pid}/cmdline`) && readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').includes('enter.sh')).toBe(false);
    expect(mountsUnder(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect((await labStatus(stateDir)).length).toBe(0);
  });
});
