import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { Sessions, tempStateDir } from './helpers.ts';

// Addresses 127.20.3.x, this file's own range.
const HOSTS = [
  { name: 'sim-1', address: '127.20.3.11' },
  { name: 'sim-2', address: '127.20.3.12' },
  { name: 'sim-3', address: '127.20.3.13' },
];

const K8S_REPO = 'https://pkgs.k8s.io/core:/stable:/v1.36/deb/';
const K8S_SOURCE = `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${K8S_REPO} /`;

describe('host simulators', () => {
  const stateDir = tempStateDir('host-sims');
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

  /** The journal lines a step added on a host: [argv joined, exit, mutating]. */
  async function journalled(host: string, step: () => Promise<unknown>): Promise<Array<[string, number | null, boolean]>> {
    const before = lab.journal(host).length;
    await step();
    return lab.journal(host).slice(before).map((e) => [`${e.command} ${e.argv.join(' ')}`, e.exit, e.mutating]);
  }

  describe('modprobe', () => {
    it('loads a module once, with its dependencies; a second load changes nothing', async () => {
      expect(await journalled('sim-1', () => ssh.sudo('sim-1', 'modprobe br_netfilter; modprobe br_netfilter'))).toEqual([
        ['modprobe br_netfilter', 0, true],
        ['modprobe br_netfilter', 0, false],
      ]);
      expect(JSON.parse(lab.readFile('sim-1', '/run/herd-lab/state/kernel.json')).modules).toEqual(['stp', 'llc', 'bridge', 'br_netfilter']);
      await ssh.sudo('sim-1', 'modprobe -r br_netfilter');
      expect(JSON.parse(lab.readFile('sim-1', '/run/herd-lab/state/kernel.json')).modules).toEqual(['stp', 'llc', 'bridge']);
    });

    it('rejects unknown modules and callers who are not root', async () => {
      expect(await ssh.run('sim-1', 'sudo modprobe no_such_module')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^modprobe: FATAL: Module no_such_module not found in directory \/lib\/modules\/\S+\n$/) });
      expect(await ssh.run('sim-1', '/usr/sbin/modprobe overlay')).toMatchObject({ code: 1, stderr: "modprobe: ERROR: could not insert 'overlay': Operation not permitted\n" });
    });
  });

  describe('sysctl', () => {
    it('has bridge keys only while br_netfilter is loaded, and applies /etc/sysctl.d with --system', async () => {
      expect(await ssh.run('sim-2', '/usr/sbin/sysctl -n net.bridge.bridge-nf-call-iptables')).toMatchObject({
        code: 1,
        stderr: 'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n',
      });
      expect((await ssh.run('sim-2', '/usr/sbin/sysctl -n net.ipv4.ip_forward')).stdout).toBe('0\n');
      await ssh.sudo('sim-2', "printf 'net.ipv4.ip_forward = 1\\nnet.bridge.bridge-nf-call-iptables = 1\\n' > /etc/sysctl.d/99-kubernetes.conf");
      const failed = await ssh.run('sim-2', 'sudo sysctl --system');
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('* Applying /etc/sysctl.d/99-kubernetes.conf ...\nnet.ipv4.ip_forward = 1\n');
      expect(failed.stderr).toContain('sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory');
      const steps = await journalled('sim-2', () => ssh.sudo('sim-2', 'modprobe br_netfilter && sysctl --system >/dev/null && sysctl --system >/dev/null'));
      expect(steps.map(([cmd, , mutating]) => [cmd, mutating])).toEqual([
        ['modprobe br_netfilter', true],
        ['sysctl --system', false],
        ['sysctl --system', false],
      ]);
      expect((await ssh.run('sim-2', '/usr/sbin/sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables')).stdout).toBe('net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n');
    });

    it('writes with -w, refuses bad values and callers who are not root', async () => {
      expect(await ssh.sudo('sim-2', 'sysctl -w vm.swappiness=10')).toBe('vm.swappiness = 10\n');
      expect((await ssh.run('sim-2', '/usr/sbin/sysctl -n vm.swappiness')).stdout).toBe('10\n');
      expect(await ssh.run('sim-2', 'sudo sysctl -w net.ipv4.ip_forward=yes')).toMatchObject({ code: 1, stderr: 'sysctl: setting key "net.ipv4.ip_forward": Invalid argument\n' });
      expect(await ssh.run('sim-2', '/usr/sbin/sysctl -w net.ipv4.ip_forward=0')).toMatchObject({ code: 1, stderr: 'sysctl: permission denied on key "net.ipv4.ip_forward"\n' });
    });
  });

  describe('swapoff', () => {
    it('turns off active swap once; a second call changes nothing; non-root is refused', async () => {
      expect(await ssh.run('sim-3', '/usr/sbin/swapoff -a')).toMatchObject({ code: 0 });
      await lab.exec('sim-3', `echo '{"modules":[],"sysctl":{},"swap":["/swap.img"]}' > /run/herd-lab/state/kernel.json`);
      expect(await ssh.run('sim-3', '/usr/sbin/swapoff -a')).toMatchObject({ code: 16, stderr: 'swapoff: Not superuser.\n' });
      expect(await journalled('sim-3', () => ssh.sudo('sim-3', 'swapoff -a; swapoff -a'))).toEqual([
        ['swapoff -a', 0, true],
        ['swapoff -a', 0, false],
      ]);
      expect(await ssh.run('sim-3', 'sudo swapoff /nonexistent')).toMatchObject({ code: 4, stderr: 'swapoff: /nonexistent: swapoff failed: No such file or directory\n' });
    });
  });

  describe('curl', () => {
    it('serves the apt key fixtures, writes them, and fails unknown URLs like curl -f', async () => {
      expect(await journalled('sim-1', () => ssh.sudo('sim-1', `curl -fsSL ${K8S_REPO}Release.key -o /tmp/k8s.key; curl -fsSL ${K8S_REPO}Release.key -o /tmp/k8s.key`))).toEqual([
        [`curl -fsSL ${K8S_REPO}Release.key -o /tmp/k8s.key`, 0, true],
        [`curl -fsSL ${K8S_REPO}Release.key -o /tmp/k8s.key`, 0, false],
      ]);
      expect(lab.readFile('sim-1', '/tmp/k8s.key')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n/);
      expect(await ssh.run('sim-1', 'curl -fsSL https://example.com/nothing.yaml')).toMatchObject({ code: 22, stdout: '', stderr: 'curl: (22) The requested URL returned error: 404\n' });
      expect(await ssh.run('sim-1', 'curl -s https://example.com/nothing.yaml')).toMatchObject({ code: 0, stdout: '404: Not Found' });
      expect(await ssh.run('sim-1', 'curl -fsSL https://download.docker.com/linux/debian/gpg -o /nonexistent/dir/key')).toMatchObject({ code: 23 });
      expect(await ssh.run('sim-1', 'curl --frobnicate https://x')).toMatchObject({ code: 2, stderr: "curl: option --frobnicate: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n" });
    });

    it('dearmors with the real gpg, and serves Calico manifests', async () => {
      await ssh.sudo('sim-1', `curl -fsSL ${K8S_REPO}Release.key | gpg --dearmor --batch --yes -o /tmp/k8s.gpg`);
      expect(lab.readFile('sim-1', '/tmp/k8s.gpg').length).toBeGreaterThan(100);
      const manifest = await ssh.run('sim-1', 'curl -fsSL https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/tigera-operator.yaml');
      expect(manifest.stdout).toContain('image: quay.io/tigera/operator:v1.42.3');
      expect(manifest.stdout).toContain('name: installations.operator.tigera.io');
    });
  });

  describe('apt-get, apt-mark, dpkg-query', () => {
    it('cannot install Kubernetes packages before their repository is configured, signed and fetched', async () => {
      expect(await ssh.run('sim-3', 'sudo apt-get install -y kubeadm')).toMatchObject({ code: 100, stderr: 'E: Unable to locate package kubeadm\n' });
      await ssh.sudo('sim-3', `mkdir -p /etc/apt/keyrings && echo '${K8S_SOURCE}' > /etc/apt/sources.list.d/kubernetes.list`);
      const unsigned = await ssh.run('sim-3', 'sudo apt-get update -qq');
      expect(unsigned.code).toBe(100);
      expect(unsigned.stderr).toContain('NO_PUBKEY 90F7342554D371A3');
      expect(unsigned.stderr).toContain(`E: The repository '${K8S_REPO.slice(0, -1)}  InRelease' is not signed.`);
      await ssh.sudo('sim-3', `curl -fsSL ${K8S_REPO}Release.key | gpg --dearmor --batch --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg`);
      expect(await ssh.run('sim-3', 'sudo apt-get install -y kubeadm')).toMatchObject({ code: 100, stderr: 'E: Unable to locate package kubeadm\n' });
      expect(await journalled('sim-3', () => ssh.sudo('sim-3', 'apt-get update -qq; apt-get update -qq'))).toEqual([
        ['apt-get update -qq', 0, true],
        ['apt-get update -qq', 0, false],
      ]);
    });

    it('installs pinned versions with dependencies, starts services, and answers dpkg-query', async () => {
      expect(await ssh.run('sim-3', 'sudo apt-get install -y kubelet=1.36.12-1.1')).toMatchObject({ code: 100, stderr: "E: Version '1.36.12-1.1' for 'kubelet' was not found\n" });
      expect(await ssh.run('sim-3', 'sudo apt-get install kubelet=1.36.3-1.1 </dev/null')).toMatchObject({ code: 1, stderr: 'Abort.\n' });
      const install = await ssh.sudo('sim-3', "DEBIAN_FRONTEND=noninteractive apt-get install -y kubelet=1.36.3-1.1 kubeadm='1.36.3-*' kubectl=1.36.3-1.1");
      expect(install).toContain('The following NEW packages will be installed:');
      expect(install).toContain('Setting up kubeadm (1.36.3-1.1) ...');
      const query = await ssh.run('sim-3', "dpkg-query -W -f='${Version}' kubeadm; echo; dpkg-query -W -f='${db:Status-Abbrev}|${Status}\\n' kubelet cri-tools; dpkg-query -W -f='${Version}' nosuchpkg");
      expect(query).toMatchObject({ code: 1, stdout: '1.36.3-1.1\nii |install ok installed\nii |install ok installed\n', stderr: 'dpkg-query: no packages found matching nosuchpkg\n' });
      expect((await ssh.run('sim-3', 'kubeadm version -o short; kubelet --version; command -v kubectl')).stdout).toBe('v1.36.3\nKubernetes v1.36.3\n/usr/bin/kubectl\n');
      // kubelet's postinst enables and starts it; without kubeadm's configuration it restarts over and over.
      expect(await ssh.run('sim-3', 'systemctl is-enabled kubelet; systemctl is-active kubelet')).toMatchObject({ code: 3, stdout: 'enabled\nactivating\n' });
      expect(await journalled('sim-3', () => ssh.sudo('sim-3', 'apt-get install -y kubeadm=1.36.3-1.1'))).toEqual([['apt-get install -y kubeadm=1.36.3-1.1', 0, false]]);
      expect((await ssh.run('sim-3', 'dpkg -l kubeadm | tail -1')).stdout).toMatch(/^ii {2}kubeadm +1\.36\.3-1\.1 +amd64/);
    });

    it('holds packages, refuses to change held ones unless allowed, and unholds', async () => {
      expect(await ssh.sudo('sim-3', 'apt-mark hold kubelet kubeadm kubectl')).toBe('kubelet set on hold.\nkubeadm set on hold.\nkubectl set on hold.\n');
      expect(await ssh.sudo('sim-3', 'apt-mark hold kubelet')).toBe('kubelet was already set on hold.\n');
      expect((await ssh.run('sim-3', 'apt-mark showhold')).stdout).toBe('kubeadm\nkubectl\nkubelet\n');
      expect((await ssh.run('sim-3', "dpkg-query -W -f='${db:Status-Abbrev}' kubeadm")).stdout).toBe('hi ');
      const held = await ssh.run('sim-3', 'sudo apt-get install -y kubeadm=1.36.4-1.1');
      expect(held).toMatchObject({ code: 100, stderr: 'E: Held packages were changed and -y was used without --allow-change-held-packages.\n' });
      expect(held.stdout).toContain('The following held packages will be changed:\n  kubeadm');
      await ssh.sudo('sim-3', 'apt-get install -y --allow-change-held-packages kubeadm=1.36.4-1.1');
      expect((await ssh.run('sim-3', "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' kubeadm")).stdout).toBe('1.36.4-1.1 hi ');
      expect(await ssh.run('sim-3', 'sudo apt-get install -y --allow-change-held-packages kubeadm=1.36.3-1.1')).toMatchObject({ code: 100, stderr: 'E: Packages were downgraded and -y was used without --allow-downgrades.\n' });
      expect(await ssh.sudo('sim-3', 'apt-mark unhold kubeadm')).toBe('Canceled hold on kubeadm.\n');
      expect(await ssh.run('sim-3', 'apt-mark hold kubectl')).toMatchObject({ code: 100, stderr: 'dpkg: error: requested operation requires superuser privilege\nE: Executing dpkg failed. Are you root?\n' });
    });

    it('refuses callers who are not root and removes packages, keeping conffiles', async () => {
      expect(await ssh.run('sim-3', 'apt-get install -y jq')).toMatchObject({
        code: 100,
        stderr: 'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n',
      });
      expect(await ssh.run('sim-3', 'sudo apt-get remove -y kubectl')).toMatchObject({ code: 100, stderr: 'E: Held packages were changed and -y was used without --allow-change-held-packages.\n' });
      await ssh.sudo('sim-3', 'apt-mark unhold kubectl && apt-get remove -y kubectl');
      expect(await ssh.run('sim-3', 'command -v kubectl; dpkg-query -W kubectl')).toMatchObject({ code: 1, stderr: 'dpkg-query: no packages found matching kubectl\n' });
    });
  });

  describe('systemctl', () => {
    it('enables with real symlinks, starts and stops, and reports like systemd', async () => {
      expect(await ssh.run('sim-2', 'sudo systemctl start containerd')).toMatchObject({ code: 5, stderr: 'Failed to start containerd.service: Unit containerd.service not found.\n' });
      await ssh.sudo('sim-2', "echo 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable' > /etc/apt/sources.list.d/docker.list && mkdir -p /etc/apt/keyrings && curl -fsSL https://download.docker.com/linux/debian/gpg -o /etc/apt/keyrings/docker.asc && apt-get update -qq && apt-get install -y -qq containerd.io=1.7.31-1");
      expect((await ssh.run('sim-2', 'systemctl is-enabled containerd; systemctl is-active containerd; readlink /etc/systemd/system/multi-user.target.wants/containerd.service')).stdout).toBe(
        'enabled\nactive\n/usr/lib/systemd/system/containerd.service\n',
      );
      // containerd.io ships a configuration with the CRI plugin off.
      expect(lab.readFile('sim-2', '/etc/containerd/config.toml')).toContain('disabled_plugins = ["cri"]');
      expect(await journalled('sim-2', () => ssh.sudo('sim-2', 'systemctl enable --now containerd; systemctl stop containerd; systemctl start containerd; systemctl restart containerd; systemctl daemon-reload'))).toEqual([
        ['systemctl enable --now containerd', 0, false],
        ['systemctl stop containerd', 0, true],
        ['systemctl start containerd', 0, true],
        ['systemctl restart containerd', 0, true],
        ['systemctl daemon-reload', 0, false],
      ]);
      await ssh.sudo('sim-2', 'systemctl disable --now containerd');
      expect(await ssh.run('sim-2', 'systemctl is-enabled containerd; systemctl is-active containerd; ls /etc/systemd/system/multi-user.target.wants/containerd.service')).toMatchObject({
        code: 2,
        stdout: 'disabled\ninactive\n',
      });
      expect(await ssh.run('sim-2', 'systemctl start containerd')).toMatchObject({
        code: 1,
        stderr: "Failed to start containerd.service: Interactive authentication required.\nSee system logs and 'systemctl status containerd.service' for details.\n",
      });
      expect(await ssh.run('sim-2', 'systemctl is-enabled nosuch')).toMatchObject({ code: 1, stderr: 'Failed to get unit file state for nosuch.service: No such file or directory\n' });
      expect((await ssh.run('sim-2', 'systemctl show -p ActiveState --value ssh; systemctl is-active sshd')).stdout).toBe('active\nactive\n');
    });
  });

  describe('containerd', () => {
    const failedJob = 'Job for containerd.service failed because the control process exited with error code.\nSee "systemctl status containerd.service" and "journalctl -xeu containerd.service" for details.\n';
    const config = (text: string): Promise<string> => ssh.sudo('sim-1', `printf '%s\\n' '${text}' > /etc/containerd/config.toml`);

    it('starts only on a config format its version reads: 1.7 refuses version 3, 2.x converts 2 and refuses 1', async () => {
      await ssh.sudo('sim-1', "echo 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable' > /etc/apt/sources.list.d/docker.list && mkdir -p /etc/apt/keyrings && curl -fsSL https://download.docker.com/linux/debian/gpg -o /etc/apt/keyrings/docker.asc && apt-get update -qq && apt-get install -y -qq containerd.io=1.7.31-1");
      // Docker's packaged config names no version (format 1), which containerd 1.7 reads.
      expect(await ssh.run('sim-1', 'systemctl is-active containerd')).toMatchObject({ code: 0, stdout: 'active\n' });
      await config('version = 3');
      expect(await ssh.run('sim-1', 'sudo systemctl restart containerd')).toMatchObject({ code: 1, stderr: failedJob });
      expect(await ssh.run('sim-1', 'systemctl is-active containerd')).toMatchObject({ code: 3, stdout: 'failed\n' });
      expect((await ssh.run('sim-1', 'systemctl status containerd')).stdout).toContain('containerd: failed to load TOML from /etc/containerd/config.toml: unsupported config version `3`: containerd 1.7.31 reads versions 1 and 2');

      await ssh.sudo('sim-1', 'apt-get install -y -qq containerd.io=2.3.5-1 && systemctl restart containerd');
      expect(JSON.parse(lab.readFile('sim-1', '/run/herd-lab/state/units.json'))['containerd.service']).toMatchObject({ active: true, version: '2.3.5', configVersion: 3, criEnabled: true });
      await config('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.10.1"');
      await ssh.sudo('sim-1', 'systemctl restart containerd');
      expect(JSON.parse(lab.readFile('sim-1', '/run/herd-lab/state/units.json'))['containerd.service']).toMatchObject({ active: true, configVersion: 2, sandboxImage: 'registry.k8s.io/pause:3.10.1' });
      await config('disabled_plugins = ["cri"]');
      expect(await ssh.run('sim-1', 'sudo systemctl restart containerd')).toMatchObject({ code: 1, stderr: failedJob });
      expect((await ssh.run('sim-1', 'systemctl status containerd')).stdout).toContain('containerd: failed to load TOML from /etc/containerd/config.toml: invalid disabled plugin URI "cri" expect io.containerd.x.vx');
    });
  });

  it('journals every call with a millisecond timestamp, the user, and whether it changed something', () => {
    const entries = lab.journal('sim-3');
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) {
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(e.host).toBe('sim-3');
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    // The calls above ran one after another: the journal is in time order.
    expect(entries.map((e) => e.time)).toEqual(entries.map((e) => e.time).sort());
    // swapoff without sudo ran as the login user, with sudo as root.
    expect(entries.filter((e) => e.command === 'swapoff').map((e) => [e.exit, e.user])).toEqual([
      [0, 'herd'],
      [16, 'herd'],
      [0, 'root'],
      [0, 'root'],
      [4, 'root'],
    ]);
    expect(new Set(entries.map((e) => e.mutating))).toEqual(new Set([true, false]));
  });
});
