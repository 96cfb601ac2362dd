import ipaddr from 'ipaddr.js';

// Addresses as Go's net package prints them (the form confd compares and writes): IPv4 dotted
// quads, IPv6 in RFC 5952 form.

export type IpFamily = 4 | 6;

export interface Address {
  readonly family: IpFamily;
  readonly text: string;
}

export function parseAddress(text: string): Address | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv4') {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    return { family: 4, text: addr.toString() };
  }
  return { family: 6, text: (addr as ipaddr.IPv6).toRFC5952String() };
}

export function familyOf(text: string): IpFamily {
  return text.includes(':') ? 6 : 4;
}

/** "10.192.0.2/16" → its address and the network it is in ("10.192.0.0/16"). */
export function parseInterfaceAddress(cidr: string): { address: Address; network: string } | undefined {
  const [ip, prefix] = cidr.includes('/') ? cidr.split('/') : [cidr, undefined];
  const address = parseAddress(ip ?? '');
  if (!address) return undefined;
  const bits = prefix === undefined ? (address.family === 4 ? 32 : 128) : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (address.family === 4 ? 32 : 128)) return undefined;
  const withPrefix = `${address.text}/${bits}`;
  const network = address.family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(withPrefix).toString() : ipaddr.IPv6.networkAddressFromCIDR(withPrefix).toRFC5952String();
  return { address, network: `${network}/${bits}` };
}

/** A CIDR in canonical form, or undefined when it is not one. */
export function parseCidr(text: string): { family: IpFamily; cidr: string; bits: number } | undefined {
  if (!ipaddr.isValidCIDR(text)) return undefined;
  const [addr, bits] = ipaddr.parseCIDR(text);
  const family: IpFamily = addr.kind() === 'ipv4' ? 4 : 6;
  const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text).toString() : ipaddr.IPv6.networkAddressFromCIDR(text).toRFC5952String();
  return { family, cidr: `${network}/${bits}`, bits };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [network, bits] = ipaddr.parseCIDR(cidr);
  const addr = ipaddr.parse(ip);
  return addr.kind() === network.kind() && addr.match(network, bits);
}

/** Go's net.SplitHostPort for "ip", "ip:port" and "[ipv6]:port" (a bare IPv6 address has no port). */
export function splitHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  if (v4 && Number(v4[2]) <= 65535) return { host: v4[1]!, port: Number(v4[2]) };
  return { host: text, port: 0 };
}
