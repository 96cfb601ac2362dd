// calico-node's IPv4 autodetection (nodeAddressAutodetectionV4 of the
// Installation): the address it peers from, which it writes onto its
// Kubernetes Node as projectcalico.org/IPv4Address ("198.18.10.11/24").
// cidrs, interface, kubernetes (the node's InternalIP) and firstFound (the
// default) are supported; canReach and skipInterface fall back to firstFound.
import { execFileSync } from 'node:child_process';
import ipaddr from 'ipaddr.js';

/** Interfaces calico-node's firstFound skips (its default exclusion list). */
const EXCLUDED = /^(docker.*|cbr.*|dummy.*|virbr.*|lxcbr.*|veth.*|lo|cali.*|tunl.*|flannel.*|kube-ipvs.*|cni.*|vxlan\.calico.*|vxlan-v6\.calico.*|wireguard\.cali.*|wg-v6\.cali.*|nodelocaldns.*)$/;

/** [{ ifname, address, prefixlen }] of this network namespace, from `ip -j`. */
export function interfaceAddresses() {
  const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' }));
  return links.flatMap((link) => (link.addr_info ?? []).filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => ({ ifname: link.ifname, address: a.local, prefixlen: a.prefixlen })));
}

/** The node's address with its prefix length, or undefined when the method finds none. */
export function autodetect(method, node, addresses = interfaceAddresses()) {
  const withPrefix = (a) => a && `${a.address}/${a.prefixlen}`;
  if (method?.cidrs) {
    const cidrs = method.cidrs.map((c) => ipaddr.IPv4.parseCIDR(c));
    return withPrefix(addresses.find((a) => cidrs.some((c) => ipaddr.IPv4.parse(a.address).match(c))));
  }
  if (method?.interface) {
    const name = new RegExp(`^(${method.interface})$`);
    return withPrefix(addresses.find((a) => name.test(a.ifname)));
  }
  if (method?.kubernetes === 'NodeInternalIP') return withPrefix(addresses.find((a) => a.address === node.address));
  return withPrefix(addresses.find((a) => !EXCLUDED.test(a.ifname)));
}
