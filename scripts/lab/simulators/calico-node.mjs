// The simulated calico-node of a lab host on a fabric. ctl.sh starts it when
// the host boots (where a kubelet would start calico-node's pod once the node
// joins); it acts while this host is a Ready node of a cluster that holds
// Calico's Installation, and otherwise keeps BIRD stopped. While it acts, it
//  - detects the node's IPv4 address and writes it on the Node
//    (projectcalico.org/IPv4Address), as calico-node does at startup;
//  - claims an IPAM block in each IP pool the node may use (ipam.mjs) and
//    gives each block a pod (pods.mjs);
//  - generates BIRD's files as calico-node v3.32 does (../calico-node, held
//    against Calico's own confd test cases), with the BGP passwords calico-node
//    may read under the RBAC herd renders, writes them where calico-node does
//    and runs real BIRD with them in the host's network namespace, reloading
//    it when they change and starting it again when it dies (bird.mjs);
//  - writes CalicoNodeStatus.status from BIRD's own state (birdc).
// Log: /var/log/calico/calico-node.log on the host (BIRD's own: bird.log).
import { appendFileSync, mkdirSync, watch } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tsImport } from 'tsx/esm/api';
import { installation, ipPools } from './lib/calico.mjs';
import { autodetect } from './lib/calico-node/address.mjs';
import { Bird, birdc, writeConfig } from './lib/calico-node/bird.mjs';
import { datastoreObjects, secretReader } from './lib/calico-node/datastore.mjs';
import { ensurePods } from './lib/calico-node/pods.mjs';
import { clusterVersion, readCluster, updateCluster } from './lib/cluster.mjs';
import { blocksOf, claimBlock } from './lib/ipam.mjs';
import { calicoOperatorInstalled, nodeIsReady } from './lib/kube.mjs';
import { CLUSTER_DIR } from './lib/paths.mjs';
import { hostInfo } from './lib/sim.mjs';

const confd = await tsImport('../calico-node/index.ts', import.meta.url);
const { parseSelector } = await tsImport('../calico-node/selector.ts', import.meta.url);

const MANAGER = 'calico-node';
const IPV4_ANNOTATION = confd.ANNOTATIONS.ipv4Address;
const TICK_MS = 1_000;

mkdirSync('/var/log/calico', { recursive: true });
let lastMessage;
function log(message) {
  appendFileSync('/var/log/calico/calico-node.log', `${new Date().toISOString()} ${message}\n`);
}
/** Logs a problem once, not on every tick it persists. */
function problem(message) {
  if (message !== lastMessage) log(message);
  lastMessage = message;
}

const host = hostInfo();
const bird = new Bird(log);
let reported;

function ownNode(state) {
  return Object.values(state.nodes).find((n) => n.host === host.name);
}

/** What calico-node may use on this node: pools that select it; IP-in-IP needs a BIRD Debian does not ship. */
function poolsFor(state, node) {
  const pools = ipPools(state).filter((p) => !p.spec.disabled && parseSelector(p.spec.nodeSelector ?? 'all()')(node.labels));
  const ipip = pools.filter((p) => (p.spec.ipipMode ?? 'Never') !== 'Never');
  if (ipip.length > 0) {
    throw new Error(`IP pool ${ipip.map((p) => p.metadata.name).join(', ')} uses IP-in-IP, which the lab cannot run: Debian's BIRD 1.6.8 lacks calico/bird's krt_tunnel; use encapsulation None or VXLAN`);
  }
  return pools;
}

/** The node's address on its Node and its blocks claimed, in one change of the cluster; the state after it. */
function claimAddressAndBlocks(node, address, pools) {
  return updateCluster((state) => {
    const live = state.nodes[node.name];
    if (!live) return state;
    if (address && live.annotations?.[IPV4_ANNOTATION] !== address) {
      live.annotations = { ...live.annotations, [IPV4_ANNOTATION]: address };
      live.fieldManagers = { ...live.fieldManagers, [MANAGER]: { labels: [], annotations: [IPV4_ANNOTATION] } };
      log(`node address ${address}`);
    }
    for (const pool of pools) {
      const before = blocksOf(state, node.name).length;
      const cidr = claimBlock(state, node.name, { name: pool.metadata.name, cidr: pool.spec.cidr, blockSize: pool.spec.blockSize ?? 26 });
      if (cidr === undefined) problem(`IP pool ${pool.metadata.name} has no free block`);
      else if (blocksOf(state, node.name).length > before) log(`claimed block ${cidr} of IP pool ${pool.metadata.name}`);
    }
    return state;
  }).result;
}

let pods = [];
/** The cluster state the last reconcile acted on to its end, and whether it left BIRD running. */
let reconciled;

async function reconcile() {
  // Nothing it acts on changed: the same state, and BIRD as that reconcile left it.
  const version = clusterVersion();
  if (version !== undefined && version === reconciled?.version && (!reconciled.running || bird.running)) return;
  const state = readCluster();
  const node = ownNode(state);
  if (!node || !calicoOperatorInstalled(state) || !nodeIsReady(state, node)) {
    await bird.stop();
    pods = ensurePods([]);
    reconciled = { version, running: false };
    return;
  }
  const pools = poolsFor(state, node);
  const address = autodetect(installation(state).spec?.calicoNetwork?.nodeAddressAutodetectionV4, node);
  if (!address) throw new Error('no IPv4 address matches the Installation’s nodeAddressAutodetectionV4');
  const current = claimAddressAndBlocks(node, address, pools);
  pods = ensurePods(blocksOf(current, node.name).map((b) => b.cidr));
  const files = confd.birdConfigFor(confd.datastoreFromObjects(datastoreObjects(current)), node.name, { readSecret: secretReader(current) });
  if (writeConfig(files) === 'written') {
    log('wrote a new BIRD configuration');
    await bird.configure();
  }
  bird.ensureRunning();
  reconciled = { version, running: true };
}

/** CalicoNodeStatus.status from BIRD's own answers, written to the cluster when it changed. */
async function report() {
  const state = readCluster();
  const node = ownNode(state);
  if (!node || !nodeIsReady(state, node)) return;
  const [showProtocols, showStatus] = bird.running ? await Promise.all([birdc('show', 'protocols', 'all'), birdc('show', 'status')]) : [undefined, undefined];
  const status = confd.calicoNodeStatusFromBird({ showProtocols, showStatus });
  const { lastUpdated, ...content } = status;
  const key = JSON.stringify([content, pods]);
  if (key === reported) return;
  updateCluster((s) => {
    if (!s.nodes[node.name]) return;
    s.calicoNodes ??= {};
    s.calicoNodes[node.name] = { status: { ...content, lastUpdated }, pods };
  });
  reported = key;
}

let wake;
// The cluster state is replaced (renamed over) on every change: react at once, and every second anyway.
watch(CLUSTER_DIR, (_event, file) => {
  if (file === 'state.json') wake?.();
});
for (;;) {
  try {
    await reconcile();
    await report();
    lastMessage = undefined;
  } catch (err) {
    problem(err.message);
  }
  await Promise.race([sleep(TICK_MS), new Promise((resolve) => (wake = resolve))]);
}
