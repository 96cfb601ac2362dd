// The lab's pods: one per IPAM block of the node, holding the block's first
// address, so that a packet routed to the block by BGP is answered. The
// address sits on an interface of the node's own network namespace, named
// cali… like Calico's pod interfaces, so that BIRD's direct protocol leaves it
// out as it leaves out real pods. This kernel has no dummy interfaces; a TUN
// device that no process holds serves instead: it carries nothing, and the
// kernel answers for the addresses it holds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { firstAddress } from '../ipam.mjs';

const PREFIX = 'calipod';

function ip(args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deviceFor(cidr) {
  return `${PREFIX}${createHash('sha256').update(cidr).digest('hex').slice(0, 8)}`;
}

/** Has exactly one pod per block; returns the pod addresses. */
export function ensurePods(blocks) {
  const present = new Map(
    JSON.parse(ip(['-j', 'addr', 'show']))
      .filter((link) => link.ifname.startsWith(PREFIX))
      .map((link) => [link.ifname, (link.addr_info ?? []).map((a) => a.local)]),
  );
  const wanted = new Map(blocks.map((cidr) => [deviceFor(cidr), firstAddress(cidr)]));
  for (const device of present.keys()) if (!wanted.has(device)) ip(['link', 'delete', device]);
  for (const [device, address] of wanted) {
    if (!present.has(device)) ip(['tuntap', 'add', 'dev', device, 'mode', 'tun']);
    if (!(present.get(device) ?? []).includes(address)) ip(['addr', 'add', `${address}/32`, 'dev', device]);
    ip(['link', 'set', device, 'up']);
  }
  return [...wanted.values()];
}
