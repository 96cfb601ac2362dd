import type { EnvironmentSpec } from './schema.ts';
import { overlaps, parseNetwork } from './net.ts';

// The sizes the installed components accept for the networks herd gives them. Each limit is the
// component's own, so that `herd validate` refuses what kubeadm, kube-apiserver,
// kube-controller-manager or Calico would refuse after the VMs exist.

export interface SizeIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

/**
 * kube-apiserver refuses a --service-cluster-ip-range with more than 20 bits of host addresses
 * ("specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12",
 * validateClusterIPFlags; kubeadm's MaximumBitsForServiceSubnet = 20).
 */
const SERVICE_PREFIX_MIN = 12;
/** kubeadm gives cluster DNS the 10th address of the service network (GetDNSIP): a /28 is the smallest that holds it. */
const SERVICE_PREFIX_MAX = 28;
/**
 * kubeadm sets kube-controller-manager's --allocate-node-cidrs from networking.podSubnet, with the
 * default --node-cidr-mask-size of 24, and refuses a pod network smaller than one node's /24 or more
 * than PodSubnetNodeMaskMaxDiff = 16 bits larger (ValidatePodSubnetNodeMask).
 */
const NODE_CIDR_MASK = 24;
const POD_NODE_MASK_MAX_DIFF = 16;
/** Calico refuses an IP pool that overlaps the IPv4 link-local range (IPPool validation). */
const LINK_LOCAL = parseNetwork('169.254.0.0/16');

export function networkSizeIssues(_env: string, spec: EnvironmentSpec): SizeIssue[] {
  const issues: SizeIssue[] = [];
  const service = parseNetwork(spec.kubernetes.serviceCidr);
  if (service.prefix < SERVICE_PREFIX_MIN) {
    issues.push({ path: ['kubernetes', 'serviceCidr'], message: `/${service.prefix} is too large: kube-apiserver accepts a service network of /${SERVICE_PREFIX_MIN} to /${SERVICE_PREFIX_MAX} (at most 20 bits of addresses)` });
  } else if (service.prefix > SERVICE_PREFIX_MAX) {
    issues.push({ path: ['kubernetes', 'serviceCidr'], message: `/${service.prefix} is too small: kubeadm gives cluster DNS the 10th address of the service network, so it must be /${SERVICE_PREFIX_MAX} or larger (down to /${SERVICE_PREFIX_MIN})` });
  }

  const pods = parseNetwork(spec.kubernetes.podCidr);
  const smallest = NODE_CIDR_MASK - POD_NODE_MASK_MAX_DIFF;
  if (pods.prefix > NODE_CIDR_MASK) {
    issues.push({ path: ['kubernetes', 'podCidr'], message: `/${pods.prefix} is smaller than one node's /${NODE_CIDR_MASK}: kubeadm refuses it; use /${smallest} to /${NODE_CIDR_MASK}` });
  } else if (pods.prefix < smallest) {
    issues.push({ path: ['kubernetes', 'podCidr'], message: `/${pods.prefix} is more than ${POD_NODE_MASK_MAX_DIFF} bits larger than a node's /${NODE_CIDR_MASK}: kubeadm refuses it; use /${smallest} to /${NODE_CIDR_MASK}` });
  } else {
    const nodes = spec.controlPlane.count + spec.workerPools.reduce((sum, p) => sum + p.count, 0);
    const room = 2 ** (NODE_CIDR_MASK - pods.prefix);
    if (nodes > room) {
      issues.push({
        path: ['kubernetes', 'podCidr'],
        message: `/${pods.prefix} holds ${room} node ranges of /${NODE_CIDR_MASK}, but the environment has ${nodes} nodes: kube-controller-manager gives each node one and leaves the rest without; use /${NODE_CIDR_MASK - Math.ceil(Math.log2(nodes))} or larger`,
      });
    }
  }

  const pools = spec.calico.ipPools ?? [{ name: 'default-ipv4-ippool', cidr: spec.kubernetes.podCidr, blockSize: 26 }];
  const poolPath = (i: number, field: string): PropertyKey[] => (spec.calico.ipPools === undefined ? ['kubernetes', 'podCidr'] : ['calico', 'ipPools', i, field]);
  pools.forEach((pool, i) => {
    const net = parseNetwork(pool.cidr);
    if (spec.calico.ipPools !== undefined && (net.first < pods.first || net.last > pods.last)) {
      issues.push({ path: poolPath(i, 'cidr'), message: `${pool.cidr} is not inside kubernetes.podCidr (${pods.cidr})` });
    }
    if (overlaps(net, LINK_LOCAL)) {
      issues.push({ path: poolPath(i, 'cidr'), message: `${pool.cidr} overlaps the link-local range ${LINK_LOCAL.cidr}, which Calico refuses for an IP pool` });
    }
    // Calico hands out addresses a block at a time: a pool smaller than its block holds none.
    if (spec.calico.ipPools !== undefined && pool.blockSize < net.prefix) {
      issues.push({ path: poolPath(i, 'blockSize'), message: `block size /${pool.blockSize} is larger than the pool ${pool.cidr}; use /${net.prefix} or more` });
    }
  });
  return issues;
}
