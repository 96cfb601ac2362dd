// The simulated kernel of one lab host: loaded modules, sysctl values, swap.
// Kept under RUNTIME_DIR (a tmpfs), so they reset with the host like RAM does.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { readJson, withLock, writeJson } from './files.mjs';
import { RUNTIME_DIR } from './paths.mjs';

const KERNEL_FILE = join(RUNTIME_DIR, 'kernel.json');
const LOCK = join(RUNTIME_DIR, 'kernel.lock');
const FRESH = { modules: [], sysctl: {}, swap: [] };

export const KERNEL_RELEASE = release();

/** Modules this simulated kernel has (a Debian 12 cloud kernel's, for what Kubernetes nodes load). */
export const KNOWN_MODULES = new Set([
  'overlay', 'br_netfilter', 'bridge', 'stp', 'llc', 'nf_conntrack', 'nf_nat', 'nf_tables', 'nfnetlink',
  'ip_tables', 'ip6_tables', 'iptable_filter', 'iptable_nat', 'iptable_mangle', 'iptable_raw', 'ip6table_filter',
  'ip6table_nat', 'x_tables', 'xt_conntrack', 'xt_MASQUERADE', 'xt_addrtype', 'xt_mark', 'xt_comment',
  'xt_multiport', 'xt_set', 'xt_statistic', 'xt_nat', 'ip_set', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh',
  'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_mh', 'ipip', 'ip_tunnel', 'tunnel4', 'vxlan', 'udp_tunnel',
  'ip6_udp_tunnel', 'wireguard', 'dummy', 'veth', 'tun', 'nf_defrag_ipv4', 'nf_defrag_ipv6', 'nf_reject_ipv4',
  'nft_chain_nat', 'nft_compat', 'nft_counter', 'sch_fq_codel', 'tcp_bbr', 'rbd', 'nbd', 'dm_crypt', 'iscsi_tcp',
]);

/** What loading a module also loads (modprobe resolves dependencies). */
const MODULE_DEPENDS = {
  br_netfilter: ['bridge', 'stp', 'llc'],
  bridge: ['stp', 'llc'],
  ip_vs: ['nf_conntrack', 'nf_defrag_ipv4', 'nf_defrag_ipv6'],
  ip_vs_rr: ['ip_vs'],
  ip_vs_wrr: ['ip_vs'],
  ip_vs_sh: ['ip_vs'],
  ip_vs_lc: ['ip_vs'],
  ip_vs_wlc: ['ip_vs'],
  ip_vs_lblc: ['ip_vs'],
  ip_vs_mh: ['ip_vs'],
  nf_nat: ['nf_conntrack'],
  nf_conntrack: ['nf_defrag_ipv4', 'nf_defrag_ipv6'],
  xt_conntrack: ['nf_conntrack', 'x_tables'],
  vxlan: ['udp_tunnel', 'ip6_udp_tunnel'],
  ipip: ['ip_tunnel', 'tunnel4'],
};

/** Sysctl subtrees that exist only while a module is loaded, as on a real kernel. */
const MODULE_SYSCTLS = [
  ['net.bridge.', 'br_netfilter'],
  ['net.ipv4.vs.', 'ip_vs'],
];

/** Values of a freshly booted Debian 12 VM where they matter to Kubernetes; other keys read the machine's (read-only) /proc/sys. */
const FRESH_VALUES = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.conf.all.forwarding': '0',
  'net.ipv4.conf.default.forwarding': '0',
  'net.ipv6.conf.all.forwarding': '0',
  'net.ipv6.conf.default.forwarding': '0',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-arptables': '1',
  'net.ipv4.vs.conntrack': '0',
  'vm.swappiness': '60',
  'vm.overcommit_memory': '0',
  'vm.panic_on_oom': '0',
  'kernel.panic': '0',
  'kernel.panic_on_oops': '0',
  'fs.inotify.max_user_instances': '128',
  'fs.inotify.max_user_watches': '65536',
};

export function readKernel() {
  return readJson(KERNEL_FILE, FRESH);
}

/** Read-modify-write of the kernel state; fn returns a result and may change the state. */
export function updateKernel(fn) {
  return withLock(LOCK, () => {
    const state = readKernel();
    const before = JSON.stringify(state);
    const result = fn(state);
    const changed = JSON.stringify(state) !== before;
    if (changed) writeJson(KERNEL_FILE, state);
    return { result, changed };
  });
}

export function moduleClosure(name) {
  const out = [];
  const visit = (m) => {
    for (const dep of MODULE_DEPENDS[m] ?? []) visit(dep);
    if (!out.includes(m)) out.push(m);
  };
  visit(name);
  return out;
}

/** "net/ipv4/ip_forward" and "net.ipv4.ip_forward" are the same key. */
export function normalizeKey(key) {
  return key.includes('/') ? key.replace(/^\/?(proc\/sys\/)?/, '').replaceAll('/', '.') : key;
}

export function procPath(key) {
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/** The key's current value, or undefined if this kernel has no such key. */
export function sysctlValue(state, key) {
  for (const [prefix, module] of MODULE_SYSCTLS) {
    if (key.startsWith(prefix) && !state.modules.includes(module)) return undefined;
  }
  if (key in state.sysctl) return state.sysctl[key];
  if (key in FRESH_VALUES) return FRESH_VALUES[key];
  try {
    return readFileSync(procPath(key), 'utf8').trim().split(/\s+/).join('\t');
  } catch {
    return undefined;
  }
}

/** Whether a value suits the key (numbers stay numbers). */
export function validSysctlValue(state, key, value) {
  const current = sysctlValue(state, key);
  if (current === undefined) return false;
  const isNumeric = (v) => v.split(/\s+/).every((p) => /^-?\d+$/.test(p));
  return !isNumeric(current) || isNumeric(value.trim());
}
