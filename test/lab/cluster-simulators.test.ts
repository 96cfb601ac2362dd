import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { quote } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { Sessions, tempStateDir } from './helpers.ts';

// Addresses 127.20.4.x, this file's own range.
const CP1 = { name: 'kube-cp-1', address: '127.20.4.11' };
const CP2 = { name: 'kube-cp-2', address: '127.20.4.12' };
const W1 = { name: 'kube-worker-1', address: '127.20.4.21' };
const W2 = { name: 'kube-worker-2', address: '127.20.4.22' };
const ENDPOINT = `${CP1.address}:6443`;
const BGP_CANARY = 'canary-bgp-password-5f1c';

/** What a node preparation script does, written against the real tools. */
const PREPARE = `set -euo pipefail
swapoff -a
printf 'overlay\\nbr_netfilter\\n' > /etc/modules-load.d/k8s.conf
modprobe overlay && modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.ipv4.ip_forward = 1\\n' > /etc/sysctl.d/99-kubernetes.conf
sysctl --system >/dev/null
install -m 0755 -d /etc/apt/keyrings
curl -fsSL https://download.docker.com/linux/debian/gpg -o /etc/apt/keyrings/docker.asc
echo 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable' > /etc/apt/sources.list.d/docker.list
curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key -o /etc/apt/keyrings/kubernetes.asc
echo 'deb [signed-by=/etc/apt/keyrings/kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /' > /etc/apt/sources.list.d/kubernetes.list
apt-get update -qq
apt-get install -y -qq containerd.io=2.3.5-1 kubelet=1.36.3-1.1 kubeadm=1.36.3-1.1 kubectl=1.36.3-1.1 >/dev/null
apt-mark hold kubelet kubeadm kubectl >/dev/null
printf 'version = 3\\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]\\n  SystemdCgroup = true\\n' > /etc/containerd/config.toml
systemctl restart containerd
systemctl enable --now kubelet
`;

function initConfig(extra = ''): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${CP1.address}
nodeRegistration:
  name: ${CP1.name}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: ${ENDPOINT}
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
${extra}`;
}

function joinConfig(token: string, caHash: string, controlPlane?: { key: string; address: string }, labels = ''): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${ENDPOINT}
    token: ${token}
    caCertHashes: [${caHash}]
nodeRegistration:
  kubeletExtraArgs:
    - name: node-labels
      value: ${labels || 'herd.io/pool=worker'}
${controlPlane ? `controlPlane:\n  localAPIEndpoint:\n    advertiseAddress: ${controlPlane.address}\n  certificateKey: ${controlPlane.key}\n` : ''}`;
}

describe('cluster simulators: kubeadm and kubectl across hosts', () => {
  const stateDir = tempStateDir('cluster-sims');
  let lab: Lab;
  let ssh: Sessions;
  const kubectl = (host: string, args: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    ssh.run(host, `sudo kubectl --kubeconfig /etc/kubernetes/admin.conf ${args}`);
  const writeFile = (host: string, path: string, content: string): Promise<string> => ssh.sudo(host, `cat > ${quote([path])}`, { stdin: content });
  let joinToken = '';
  let caHash = '';

  beforeAll(async () => {
    lab = await startLab({ stateDir, hosts: [CP1, CP2, W1, W2] });
    ssh = new Sessions(lab);
  });
  afterAll(async () => {
    ssh?.close();
    await stopLab(stateDir);
  });

  it('kubeadm init fails preflight on an unprepared host, listing every fatal check', async () => {
    await writeFile(CP1.name, '/root/kubeadm.yaml', initConfig());
    const result = await ssh.run(CP1.name, 'sudo node /usr/local/lib/herd-lab/lab/simulators/kubeadm.mjs init --config /root/kubeadm.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error execution phase preflight: [preflight] Some fatal errors occurred:');
    expect(result.stderr).toContain('[ERROR CRI]: container runtime is not running');
    expect(result.stderr).toContain('[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1');
    expect(result.stderr).toContain("[ERROR KubeletVersion]: couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH");
    expect(lab.clusterState()?.cluster ?? null).toBeNull();
  });

  it('prepares every host with a script written against the real tools', async () => {
    await Promise.all([CP1, CP2, W1, W2].map((h) => ssh.sudo(h.name, 'bash -s', { stdin: PREPARE })));
    // Run twice: a prepared host changes nothing.
    const before = lab.journal(W1.name).length;
    await ssh.sudo(W1.name, 'bash -s', { stdin: PREPARE });
    const second = lab.journal(W1.name).slice(before);
    expect(second.filter((e) => e.mutating).map((e) => `${e.command} ${e.argv.join(' ')}`)).toEqual(['systemctl restart containerd']);
  });

  it('rejects kubeadm configurations that do not parse or name unknown kinds or old APIs', async () => {
    await writeFile(CP1.name, '/root/bad.yaml', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n  nodeRegistration: [\n');
    expect((await ssh.run(CP1.name, 'sudo kubeadm init --config /root/bad.yaml')).stderr).toMatch(/^error converting YAML to JSON: yaml: line \d+: /);
    await writeFile(CP1.name, '/root/bad.yaml', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfig\n');
    expect(await ssh.run(CP1.name, 'sudo kubeadm init --config /root/bad.yaml')).toMatchObject({
      code: 1,
      stderr: 'no kind "InitConfig" is registered for version "kubeadm.k8s.io/v1beta4" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"\n',
    });
    await writeFile(CP1.name, '/root/bad.yaml', 'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n');
    expect((await ssh.run(CP1.name, 'sudo kubeadm init --config /root/bad.yaml')).stderr).toContain('your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta3"');
    expect((await ssh.run(CP1.name, 'sudo kubeadm init --config /root/kubeadm.yaml --pod-network-cidr 10.0.0.0/8')).stderr).toContain("can not mix '--config' with arguments [pod-network-cidr]");
    expect(lab.clusterState()?.cluster ?? null).toBeNull();
  });

  it('kubeadm init writes what kubeadm writes and starts the first control plane', async () => {
    const result = await ssh.run(CP1.name, 'sudo kubeadm init --config /root/kubeadm.yaml --upload-certs --skip-token-print');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Your Kubernetes control-plane has initialized successfully!');
    expect(result.stdout).toContain('[bootstrap-token] Using token: <value withheld>');
    const files = await ssh.sudo(
      CP1.name,
      'stat -c "%n %a" /etc/kubernetes/admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/pki/ca.crt /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/etcd.yaml /var/lib/kubelet/config.yaml',
    );
    expect(files).toBe(
      '/etc/kubernetes/admin.conf 600\n/etc/kubernetes/kubelet.conf 600\n/etc/kubernetes/pki/ca.crt 644\n/etc/kubernetes/manifests/kube-apiserver.yaml 600\n/etc/kubernetes/manifests/etcd.yaml 600\n/var/lib/kubelet/config.yaml 644\n',
    );
    expect(lab.readFile(CP1.name, '/var/lib/kubelet/config.yaml')).toContain('cgroupDriver: systemd');
    expect(lab.readFile(CP1.name, '/etc/kubernetes/manifests/kube-apiserver.yaml')).toContain('image: registry.k8s.io/kube-apiserver:v1.36.3');
    expect((await ssh.run(CP1.name, 'systemctl is-active kubelet')).stdout).toBe('active\n');
    // The discovery hash, computed the way kubeadm's documentation shows, from the real CA certificate.
    const docHash = await ssh.sudo(CP1.name, "openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'");
    const state = lab.clusterState()!;
    caHash = `sha256:${docHash.trim()}`;
    expect(state.cluster!.caCertHash).toBe(caHash);
    const spki = new X509Certificate(state.cluster!.caCertPem).publicKey.export({ type: 'spki', format: 'der' });
    expect(`sha256:${createHash('sha256').update(spki).digest('hex')}`).toBe(caHash);
    expect(state.cluster).toMatchObject({ kubernetesVersion: 'v1.36.3', controlPlaneEndpoint: ENDPOINT, podSubnet: '10.244.0.0/16', proxyMode: 'ipvs', initializedOn: CP1.name });
    expect(Object.keys(state.nodes)).toEqual([CP1.name]);
    expect(state.etcdMembers.map((m) => m.name)).toEqual([CP1.name]);
    expect(state.certificateKey).not.toBeNull();
  });

  it('keeps the containers running across a containerd restart (KillMode=process); without it the kubelet starts new ones', async () => {
    const containers = () => lab.clusterState()!.hosts[CP1.name]!.containers ?? {};
    const before = containers();
    expect(Object.keys(before).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler']);
    expect(before['kube-apiserver']?.image).toBe('registry.k8s.io/kube-apiserver:v1.36.3');
    await ssh.sudo(CP1.name, 'systemctl restart containerd && systemctl restart kubelet');
    expect(containers()).toEqual(before);
    const unit = '/usr/lib/systemd/system/containerd.service';
    await ssh.sudo(CP1.name, `sed -i '/^KillMode=process$/d' ${unit} && systemctl daemon-reload && systemctl restart containerd && systemctl restart kubelet`);
    const replaced = containers();
    expect(Object.keys(replaced).sort()).toEqual(Object.keys(before).sort());
    for (const [pod, c] of Object.entries(replaced)) expect(c.id, pod).not.toBe(before[pod]!.id);
    await ssh.sudo(CP1.name, `sed -i 's/^Delegate=yes$/Delegate=yes\\nKillMode=process/' ${unit} && systemctl daemon-reload`);
  });

  it('refuses a second init, on the same host and on another', async () => {
    const again = await ssh.run(CP1.name, 'sudo kubeadm init --config /root/kubeadm.yaml');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists');
    expect(again.stderr).toContain('[ERROR Port-6443]: Port 6443 is in use');
    await writeFile(CP2.name, '/root/kubeadm.yaml', initConfig());
    expect((await ssh.run(CP2.name, 'sudo kubeadm init --config /root/kubeadm.yaml')).stderr).toContain(`a cluster already exists in this lab (initialised on ${CP1.name})`);
  });

  it('kubectl finds its kubeconfig like the real one and shows the new node NotReady until a CNI runs', async () => {
    expect(await ssh.run(CP1.name, 'kubectl get nodes')).toMatchObject({ code: 1, stderr: 'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n' });
    expect(await ssh.run(CP1.name, 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes')).toMatchObject({
      code: 1,
      stderr: 'error: error loading config file "/etc/kubernetes/admin.conf": open /etc/kubernetes/admin.conf: permission denied\n',
    });
    await ssh.run(CP1.name, 'mkdir -p $HOME/.kube && sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config && sudo chown $(id -u):$(id -g) $HOME/.kube/config');
    const nodes = await ssh.run(CP1.name, 'kubectl get nodes');
    expect(nodes.stdout).toMatch(new RegExp(`^NAME +STATUS +ROLES +AGE +VERSION\\n${CP1.name} +NotReady +control-plane +\\d+s +v1\\.36\\.3\\n$`));
    const json = JSON.parse((await ssh.run(CP1.name, `kubectl get node ${CP1.name} -o json`)).stdout);
    expect(json.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(json.spec.taints).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    expect((await ssh.run(CP1.name, 'kubectl get --raw /readyz')).stdout).toBe('ok');
    expect((await ssh.run(CP1.name, `curl -s --cacert /etc/kubernetes/pki/ca.crt https://${ENDPOINT}/healthz`)).stdout).toBe('ok');
    expect(await ssh.run(CP1.name, `curl -fsS https://${ENDPOINT}/healthz`)).toMatchObject({ code: 60 });
  });

  it('kubeadm join checks the token and the CA pin, and joins workers', async () => {
    const printed = await ssh.sudo(CP1.name, 'kubeadm token create --print-join-command --ttl 15m');
    const m = /^kubeadm join (\S+) --token (\S+) --discovery-token-ca-cert-hash (\S+) \n$/.exec(printed);
    expect(m?.[1]).toBe(ENDPOINT);
    expect(m?.[3]).toBe(caHash);
    joinToken = m![2]!;
    const wrongToken = await ssh.run(W1.name, `sudo kubeadm join ${ENDPOINT} --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${caHash}`);
    expect(wrongToken.stderr).toContain('error execution phase preflight: couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"');
    const wrongPin = await ssh.run(W1.name, `sudo kubeadm join ${ENDPOINT} --token ${joinToken} --discovery-token-ca-cert-hash sha256:${'0'.repeat(64)}`);
    expect(wrongPin.stderr).toContain(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${caHash}" are pinned`);
    const wrongEndpoint = await ssh.run(W1.name, `sudo kubeadm join 127.20.4.99:6443 --token ${joinToken} --discovery-token-ca-cert-hash ${caHash}`);
    expect(wrongEndpoint.stderr).toContain('dial tcp 127.20.4.99:6443: connect: connection refused');
    // A token past its TTL is as good as none.
    const shortLived = (await ssh.sudo(CP1.name, 'kubeadm token create --ttl 1s')).trim();
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await ssh.run(W1.name, `sudo kubeadm join ${ENDPOINT} --token ${shortLived} --discovery-token-ca-cert-hash ${caHash}`)).stderr).toContain('could not find a JWS signature');
    expect((await ssh.run(W1.name, `sudo kubeadm join ${ENDPOINT} --token ${joinToken} --discovery-token-ca-cert-hash ${caHash}`)).code).toBe(0);
    await writeFile(W2.name, '/root/join.yaml', joinConfig(joinToken, caHash, undefined, 'herd.io/pool=worker,herd.io/rack=r1'));
    expect((await ssh.run(W2.name, 'sudo kubeadm join --config /root/join.yaml')).code).toBe(0);
    expect((await ssh.run(W2.name, 'sudo kubeadm join --config /root/join.yaml')).stderr).toContain('[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists');
    expect(lab.readFile(W2.name, '/etc/kubernetes/kubelet.conf')).toContain(`server: https://${ENDPOINT}`);
    expect(lab.clusterState()!.nodes[W2.name]).toMatchObject({ controlPlane: false, labels: { 'herd.io/rack': 'r1', 'herd.io/pool': 'worker' } });
  });

  it('joins a second control plane only with the uploaded certificate key', async () => {
    const upload = await ssh.sudo(CP1.name, 'kubeadm init phase upload-certs --upload-certs');
    const key = upload.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    await writeFile(CP2.name, '/root/join.yaml', joinConfig(joinToken, caHash, { key: 'f'.repeat(64), address: CP2.address }));
    expect((await ssh.run(CP2.name, 'sudo kubeadm join --config /root/join.yaml')).stderr).toContain('error decoding certificate key: failed to decrypt data: cipher: message authentication failed');
    await writeFile(CP2.name, '/root/join.yaml', joinConfig(joinToken, caHash, { key, address: CP2.address }));
    expect((await ssh.run(CP2.name, 'sudo kubeadm join --config /root/join.yaml')).code).toBe(0);
    const state = lab.clusterState()!;
    expect(state.etcdMembers.map((m) => m.name)).toEqual([CP1.name, CP2.name]);
    expect(state.nodes[CP2.name]).toMatchObject({ controlPlane: true, address: CP2.address });
    expect(lab.readFile(CP2.name, '/etc/kubernetes/admin.conf')).toContain(`server: https://${ENDPOINT}`);
    const members = await ssh.run(CP1.name, `kubectl -n kube-system exec etcd-${CP1.name} -- etcdctl --endpoints https://127.0.0.1:2379 member list -w table`);
    expect(members.stdout).toContain(`| started | ${CP2.name} | https://${CP2.address}:2380 |`);
  });

  it('never journals secret values', () => {
    const journals = JSON.stringify([CP1, CP2, W1, W2].map((h) => lab.journal(h.name)));
    const state = JSON.stringify(lab.clusterState());
    const secret = joinToken.split('.')[1]!;
    for (const text of [journals, state]) expect(text).not.toContain(secret);
    expect(journals).not.toContain(caHash.slice(7));
    expect(journals).toContain('"--token","<redacted>"');
  });

  it('installs Calico: nodes turn Ready, the operator makes the IP pools, Node labels and annotations merge, passwords stay sealed', async () => {
    await ssh.run(CP1.name, 'curl -fsSL https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/tigera-operator.yaml -o /tmp/tigera-operator.yaml');
    const clientSide = await ssh.run(CP1.name, 'kubectl apply -f /tmp/tigera-operator.yaml');
    expect(clientSide.stderr).toContain('The CustomResourceDefinition "installations.operator.tigera.io" is invalid: metadata.annotations: Too long: must have at most 262144 bytes');
    expect((await ssh.run(CP1.name, 'kubectl apply --server-side -f /tmp/tigera-operator.yaml')).stdout).toContain('customresourcedefinition.apiextensions.k8s.io/installations.operator.tigera.io serverside-applied');
    const calico = `apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: default}
spec: {calicoNetwork: {bgp: Enabled, ipPools: [{name: pods, cidr: 10.244.0.0/16, blockSize: 27, encapsulation: None}]}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: false}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-r1}
spec:
  peerIP: 10.1.0.1
  asNumber: 65001
  nodeSelector: herd.io/rack == 'r1'
  password: {secretKeyRef: {name: bgp-passwords, key: tor-r1}}
---
apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata: {name: ${W2.name}}
spec: {node: ${W2.name}, classes: [Agent, BGP], updatePeriodSeconds: 10}
`;
    expect((await ssh.run(CP1.name, 'kubectl apply -f -', { stdin: calico })).stdout).toBe(
      'installation.operator.tigera.io/default created\nbgpconfiguration.projectcalico.org/default created\nbgppeer.projectcalico.org/tor-r1 created\ncaliconodestatus.projectcalico.org/' + W2.name + ' created\n',
    );
    expect((await ssh.run(CP1.name, 'kubectl apply -f -', { stdin: calico })).stdout).toContain('bgppeer.projectcalico.org/tor-r1 unchanged');
    expect((await ssh.run(CP1.name, 'kubectl wait --for=condition=Ready nodes --all --timeout=20s')).code).toBe(0);
    expect((await ssh.run(CP1.name, "kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}'")).stdout).toBe(
      [CP1, CP2, W1, W2].map((h) => `${h.name}=True\n`).join(''),
    );
    // The operator turns the Installation's pools into IPPools.
    expect((await ssh.run(CP1.name, "kubectl get ippools.crd.projectcalico.org -o jsonpath='{range .items[*]}{.metadata.name} {.spec.cidr} {.spec.blockSize} {.spec.ipipMode} {.spec.vxlanMode}{\"\\n\"}{end}'")).stdout).toBe(
      'pods 10.244.0.0/16 27 Never Never\n',
    );
    // Loopback hosts have no network of their own: no calico-node BGP runs there, and nothing is reported.
    expect((await ssh.run(CP1.name, `kubectl get caliconodestatus ${W2.name} -o jsonpath='{.status}'`)).stdout).toBe('{}');

    // herd's server-side apply of a Node merges its labels and annotations, and later drops only its own.
    const node = (annotations: string): string => `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${W2.name}\n  labels: {herd.io/rack: r1}\n  annotations: {${annotations}}\n`;
    const ssa = `kubectl apply --server-side --field-manager=herd --force-conflicts -f -`;
    await ssh.run(CP1.name, ssa, { stdin: node("projectcalico.org/ASNumber: '65101', example.com/old: x") });
    await ssh.run(CP1.name, ssa, { stdin: node("projectcalico.org/ASNumber: '65102'") });
    expect(lab.clusterState()!.nodes[W2.name]!.annotations).toEqual({ 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock', 'projectcalico.org/ASNumber': '65102' });
    expect(lab.clusterState()!.nodes[W2.name]!.labels).toMatchObject({ 'herd.io/rack': 'r1', 'herd.io/pool': 'worker', 'kubernetes.io/hostname': W2.name });

    const secret = await ssh.run(CP1.name, `kubectl create secret generic bgp-passwords -n calico-system --from-literal=tor-r1=${BGP_CANARY} --dry-run=client -o yaml`);
    expect(secret.stdout).toBe(
      `apiVersion: v1\ndata:\n  tor-r1: ${Buffer.from(BGP_CANARY).toString('base64')}\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: bgp-passwords\n  namespace: calico-system\n`,
    );
    await ssh.run(CP1.name, 'kubectl apply -f -', { stdin: secret.stdout });
    // The secret is kept as a digest, its value sealed for calico-node alone.
    const stored = lab.clusterState()!.resources['Secret/calico-system/bgp-passwords']!;
    expect(stored.object).toMatchObject({ data: { 'tor-r1': `sha256:${createHash('sha256').update(BGP_CANARY).digest('hex')}` } });
    expect(stored.sealed?.['tor-r1']).toMatch(/^v1:[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    // grep exits 1 when no file under the lab's state holds the canary.
    expect(spawnSync('grep', ['-rl', BGP_CANARY, stateDir], { encoding: 'utf8' })).toMatchObject({ status: 1, stdout: '' });
  });

  it('cordons, drains, uncordons and deletes nodes', async () => {
    const refused = await ssh.run(CP1.name, `kubectl drain ${W1.name}`);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe(`node/${W1.name} cordoned\n`);
    expect(refused.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)');
    const drained = await ssh.run(CP1.name, `kubectl drain ${W1.name} --ignore-daemonsets --delete-emptydir-data --timeout=60s`);
    expect(drained.stdout).toContain(`node/${W1.name} already cordoned\n`);
    expect(drained.stdout).toContain(`node/${W1.name} drained\n`);
    expect((await ssh.run(CP1.name, 'kubectl get nodes')).stdout).toMatch(new RegExp(`${W1.name} +Ready,SchedulingDisabled`));
    expect((await ssh.run(CP1.name, `kubectl uncordon ${W1.name}; kubectl uncordon ${W1.name}`)).stdout).toBe(`node/${W1.name} uncordoned\nnode/${W1.name} already uncordoned\n`);
    expect((await ssh.run(CP1.name, 'kubectl get node nosuch')).stderr).toBe('Error from server (NotFound): nodes "nosuch" not found\n');
  });

  it('upgrades: refuses skipping a minor or outrunning kubeadm, then upgrades control planes and kubelets', async () => {
    expect((await ssh.run(CP1.name, 'sudo kubeadm upgrade apply v1.38.0 -y')).stderr).toContain('Specified version to upgrade to "v1.38.0" is too high; kubeadm can upgrade only 1 minor version at a time');
    expect((await ssh.run(CP1.name, 'sudo kubeadm upgrade apply v1.36.4 -y')).stderr).toContain('Specified version to upgrade to "v1.36.4" is higher than the kubeadm version "v1.36.3"');
    const upgradeKubeadm = 'apt-mark unhold kubeadm >/dev/null && apt-get install -y -qq kubeadm=1.36.4-1.1 >/dev/null && apt-mark hold kubeadm >/dev/null';
    await ssh.sudo(CP1.name, upgradeKubeadm);
    expect((await ssh.run(CP1.name, 'sudo kubeadm upgrade plan')).stdout).toContain('kubeadm upgrade apply v1.36.4');
    expect((await ssh.run(CP1.name, 'sudo kubeadm upgrade apply v1.36.4 </dev/null')).stderr).toContain("won't proceed; the user didn't answer (Y|y) in order to continue");
    expect((await ssh.run(CP1.name, 'sudo kubeadm upgrade apply v1.36.4 -y')).stdout).toContain('[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.36.4".');
    expect(lab.readFile(CP1.name, '/etc/kubernetes/manifests/kube-apiserver.yaml')).toContain('kube-apiserver:v1.36.4');
    await ssh.sudo(CP2.name, upgradeKubeadm);
    expect((await ssh.sudo(CP2.name, 'kubeadm upgrade node'))).toContain('The control plane instance for this node was successfully upgraded!');
    await ssh.sudo(W1.name, `${upgradeKubeadm} && kubeadm upgrade node >/dev/null && apt-mark unhold kubelet >/dev/null && apt-get install -y -qq kubelet=1.36.4-1.1 >/dev/null && systemctl daemon-reload && systemctl restart kubelet`);
    expect((await ssh.run(CP1.name, `kubectl get node ${W1.name} -o jsonpath='{.status.nodeInfo.kubeletVersion}'`)).stdout).toBe('v1.36.4');
    const state = lab.clusterState()!;
    expect(state.cluster!.kubernetesVersion).toBe('v1.36.4');
    expect([state.nodes[CP1.name]!.controlPlaneVersion, state.nodes[CP2.name]!.controlPlaneVersion]).toEqual(['v1.36.4', 'v1.36.4']);
  });

  it('resets a worker (its Node stays until deleted) and a control plane (its etcd member goes)', async () => {
    expect((await ssh.run(W2.name, 'sudo kubeadm reset </dev/null')).stderr).toContain("won't proceed; the user didn't answer (Y|y) in order to continue");
    await ssh.sudo(W2.name, 'kubeadm reset -f');
    expect(await ssh.run(W2.name, 'ls /etc/kubernetes/kubelet.conf; systemctl is-active kubelet')).toMatchObject({ stdout: 'inactive\n' });
    expect((await ssh.run(CP1.name, 'kubectl get nodes')).stdout).toMatch(new RegExp(`${W2.name} +NotReady`));
    expect((await ssh.run(W2.name, 'sudo kubeadm join --config /root/join.yaml')).stderr).toContain(`a Node with name "${W2.name}" and status "NotReady" already exists in the cluster`);
    expect((await ssh.run(CP1.name, `kubectl delete node ${W2.name}`)).stdout).toBe(`node "${W2.name}" deleted\n`);
    const token = (await ssh.sudo(CP1.name, 'kubeadm token create')).trim();
    await writeFile(W2.name, '/root/join.yaml', joinConfig(token, caHash, undefined, 'herd.io/pool=worker,herd.io/rack=r1'));
    expect((await ssh.run(W2.name, 'sudo kubeadm join --config /root/join.yaml')).code).toBe(0);
    await ssh.sudo(CP2.name, 'kubeadm reset -f >/dev/null');
    expect(lab.clusterState()!.etcdMembers.map((m) => m.name)).toEqual([CP1.name]);
  });

  it('loses the API while the only control plane kubelet is stopped (its API server is a static pod)', async () => {
    await ssh.sudo(CP1.name, 'systemctl stop kubelet');
    expect(await ssh.run(CP1.name, 'kubectl get nodes')).toMatchObject({ code: 1, stderr: `The connection to the server ${ENDPOINT} was refused - did you specify the right host or port?\n` });
    expect((await ssh.run(W1.name, `curl -sk https://${ENDPOINT}/readyz`)).code).toBe(7);
    await ssh.sudo(CP1.name, 'systemctl start kubelet');
    expect((await ssh.run(CP1.name, 'kubectl get --raw /readyz')).stdout).toBe('ok');
  });

  it('kubectl wait gives up like kubectl when a condition is not met in time', async () => {
    const result = await ssh.run(CP1.name, `kubectl wait --for=condition=Ready node/${CP2.name} --timeout=1s`);
    expect(result).toMatchObject({ code: 1, stderr: `error: timed out waiting for the condition on nodes/${CP2.name}\n` });
  });
});
