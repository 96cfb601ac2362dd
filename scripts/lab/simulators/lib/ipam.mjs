// Calico's IPAM, as far as BGP sees it: a node that runs calico-node claims
// a block of an IP pool it may use (the pool's blockSize) for its pods, keeps
// it while the Node exists, and loses it when the Node is deleted (on a real
// cluster, kube-controllers' IPAM garbage collection releases it). Blocks are
// handed out lowest first; calico-node's BIRD announces each of its node's
// blocks. The claims live in the cluster state (state.ipam.blocks: cidr →
// { node, pool, claimedAt }); kubectl shows them as BlockAffinities.
import ipaddr from 'ipaddr.js';

function toInt(address) {
  return ipaddr.IPv4.parse(address).toByteArray().reduce((n, b) => n * 256 + b, 0);
}

function toAddress(n) {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function blocksOf(state, nodeName) {
  return Object.entries(state.ipam?.blocks ?? {})
    .filter(([, claim]) => claim.node === nodeName)
    .map(([cidr, claim]) => ({ cidr, pool: claim.pool }));
}

/** The node's block of `pool` ({ name, cidr, blockSize }), claimed if it has none; undefined if the pool is full. */
export function claimBlock(state, nodeName, pool) {
  const own = blocksOf(state, nodeName).find((b) => b.pool === pool.name);
  if (own) return own.cidr;
  state.ipam ??= { blocks: {} };
  const [base, prefix] = ipaddr.IPv4.parseCIDR(pool.cidr);
  const size = 2 ** (32 - pool.blockSize);
  const first = toInt(base.toString());
  for (let at = first; at < first + 2 ** (32 - prefix); at += size) {
    const cidr = `${toAddress(at)}/${pool.blockSize}`;
    const claim = state.ipam.blocks[cidr];
    // A block whose node is gone was released (the Node's deletion released it, or would have).
    if (claim && state.nodes[claim.node]) continue;
    state.ipam.blocks[cidr] = { node: nodeName, pool: pool.name, claimedAt: new Date().toISOString() };
    return cidr;
  }
  return undefined;
}

/** Releases every block of a node (its Node was deleted). */
export function releaseBlocks(state, nodeName) {
  for (const { cidr } of blocksOf(state, nodeName)) delete state.ipam.blocks[cidr];
}

/** The address a block's first pod gets: Calico hands out a block's addresses from its first one. */
export function firstAddress(cidr) {
  return cidr.split('/')[0];
}

/** The claims as Calico's BlockAffinity objects (crd.projectcalico.org/v1, as calico-node stores them). */
export function blockAffinityObjects(state) {
  return Object.entries(state.ipam?.blocks ?? {})
    .filter(([, claim]) => state.nodes[claim.node])
    .map(([cidr, claim]) => ({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'BlockAffinity',
      metadata: { name: `${claim.node}-${cidr.replace(/[./]/g, '-')}`, creationTimestamp: claim.claimedAt },
      spec: { node: claim.node, cidr, state: 'confirmed', deleted: 'false' },
    }));
}
