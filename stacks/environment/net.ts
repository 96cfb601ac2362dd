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

/** An inclusive run of addresses in their 32-bit integer form. */
export interface Ipv4Range {
  readonly first: number;
  readonly last: number;
}

/** Sorted, with overlapping and adjacent runs joined. */
export function mergeRanges(ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const sorted = [...ranges].filter((r) => r.first <= r.last).sort((a, b) => a.first - b.first);
  const merged: Ipv4Range[] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && r.first <= last.last + 1) merged[merged.length - 1] = { first: last.first, last: Math.max(last.last, r.last) };
    else merged.push(r);
  }
  return merged;
}

/** The runs with the given addresses taken out. */
export function withoutAddresses(ranges: readonly Ipv4Range[], addresses: readonly number[]): Ipv4Range[] {
  let out = mergeRanges(ranges);
  for (const a of addresses) {
    out = out.flatMap((r) => (a < r.first || a > r.last ? [r] : [{ first: r.first, last: a - 1 }, { first: a + 1, last: r.last }].filter((p) => p.first <= p.last)));
  }
  return out;
}

/**
 * The fewest CIDR blocks that hold exactly the addresses of the runs, no more. A block cannot
 * span a gap, so each merged run is cut on its own: from its start, the largest block that is
 * aligned there and ends inside the run, repeatedly (ipaddr.js parses CIDRs but has no such cut).
 */
export function cidrsCovering(ranges: readonly Ipv4Range[]): string[] {
  const cidrs: string[] = [];
  for (const { first, last } of mergeRanges(ranges)) {
    let start = first;
    while (start <= last) {
      let size = 1;
      while (start % (size * 2) === 0 && start + size * 2 - 1 <= last) size *= 2;
      cidrs.push(`${intToIpv4(start)}/${32 - Math.log2(size)}`);
      start += size;
    }
  }
  return cidrs;
}

export function rangeSize(ranges: readonly Ipv4Range[]): number {
  return mergeRanges(ranges).reduce((sum, r) => sum + r.last - r.first + 1, 0);
}
