import ipaddr from 'ipaddr.js';

// IPv4 maths on top of ipaddr.js: parsing and CIDR matching come from the
// library; the few sums it lacks (range sizes, next address) are done on the
// 32-bit integer form.

export interface Ipv4Network {
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

export function isValidIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function isValidIpv4Cidr(text: string): boolean {
  try {
    const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
    return isValidIpv4(text.split('/')[0] ?? '') && ipv4ToInt(addr.toString()) === networkFirst(ipv4ToInt(addr.toString()), prefix);
  } catch {
    return false;
  }
}

export function ipv4ToInt(text: string): number {
  const bytes = ipaddr.IPv4.parse(text).toByteArray();
  return ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!;
}

export function intToIpv4(n: number): string {
  return ipaddr.fromByteArray([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

function networkFirst(addr: number, prefix: number): number {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (addr & mask) >>> 0;
}

export function parseNetwork(cidr: string): Ipv4Network {
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const first = networkFirst(ipv4ToInt(addr.toString()), prefix);
  const last = (first + 2 ** (32 - prefix) - 1) >>> 0;
  return { cidr, first, last, prefix };
}

export function contains(network: Ipv4Network, address: string): boolean {
  const n = ipv4ToInt(address);
  return n >= network.first && n <= network.last;
}

export function overlaps(a: Ipv4Network, b: Ipv4Network): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Network and broadcast addresses cannot be given to a host (except in /31 and /32 networks). */
export function isReservedInNetwork(network: Ipv4Network, address: string): boolean {
  if (network.prefix >= 31) return false;
  const n = ipv4ToInt(address);
  return n === network.first || n === network.last;
}
