import type { BirdPeer, FilterCall, NodeBirdConfig } from '../model/node-config.ts';
import { filterFunctionLines } from './bird-filters.ts';

// bird.cfg as calico-node v3.32 writes it (confd/etc/calico/confd/templates/bird.cfg.template):
// the communities function, the kernel/device/direct protocols, the BGP template, the
// BGPFilter functions and one protocol per peer. Every line below is the template's.

const MAX_LOCAL_PREF = 2147483647;

function communitiesFunction(config: NodeBirdConfig): string[] {
  const body = config.communities.flatMap((rule) => [
    `      if ( net ~ ${rule.cidr} ) then {`,
    ...rule.communities.map((c) => {
      const parts = c.split(':');
      return parts.length === 3 ? `          bgp_large_community.add((${parts.join(', ')}));` : `          bgp_community.add((${parts.join(', ')}));`;
    }),
    '      }',
  ]);
  return ['function apply_communities ()', '{', ...body, '}'];
}

function debugLine(config: NodeBirdConfig): string[] {
  return config.debug ? [`  debug ${config.debug};`] : [];
}

function listenLines(config: NodeBirdConfig): string[] {
  if (!config.listenAddress && config.listenPort === undefined) return [];
  const address = config.listenAddress ? ` address ${config.listenAddress}` : '';
  const port = config.listenPort === undefined ? '' : ` port ${config.listenPort}`;
  return ['# BGP listen configuration', `listen bgp${address}${port};`];
}

function directInterfaceLines(config: NodeBirdConfig): string[] {
  if (config.ignoredInterfaces.length > 0) {
    return [`  interface ${[...config.ignoredInterfaces.map((i) => `-"${i}"`), '-"cali*"', '-"kube-ipvs*"', '"*"'].join(', ')};`];
  }
  return [
    '  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but',
    '                                          # include everything else.  In',
    '                                          # IPVS-mode, kube-proxy creates a',
    '                                          # kube-ipvs0 interface. We exclude',
    '                                          # kube-ipvs0 because this interface',
    '                                          # gets an address for every in use',
    '                                          # cluster IP. We use static routes',
    '                                          # for when we legitimately want to',
    '                                          # export cluster IPs.',
  ];
}

function call(fn: FilterCall, peer: BirdPeer): string {
  return `    '${fn.symbol}'(${fn.takesPeerType ? String(peer.sameAs) : ''});`;
}

function peerLines(peer: BirdPeer, config: NodeBirdConfig): string[] {
  const lines = [`protocol bgp ${peer.name} from bgp_template {`];
  if (peer.type !== 'mesh') {
    lines.push(peer.ttlSecurity > 0 ? `  ttl security on;` : `  ttl security off;`, peer.ttlSecurity > 0 ? `  multihop ${peer.ttlSecurity};` : '  multihop;');
  }
  if (peer.localAsNumber) lines.push(`  local as ${peer.localAsNumber};`);
  lines.push(`  neighbor ${peer.ip} ${peer.port > 0 ? `port ${peer.port} ` : ''}as ${peer.asNumber};`);
  if (peer.sourceAddress) lines.push(`  source address ${peer.sourceAddress};  # The local address we use for the TCP connection`);
  lines.push(
    '  import filter {',
    ...peer.importFilters.map((f) => call(f, peer)),
    `    if (defined(bgp_local_pref)&&(bgp_local_pref > ${MAX_LOCAL_PREF - config.normalRoutePriority})) then`,
    '      preference = 200;',
    '    accept;',
    '  };',
    '  export filter {',
    '    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {',
    `      krt_metric = ${MAX_LOCAL_PREF} - bgp_local_pref;`,
    '    } else {',
    `      if (!defined(krt_metric)) then { krt_metric = ${config.normalRoutePriority}; }`,
    `      bgp_local_pref = ${MAX_LOCAL_PREF} - krt_metric;`,
    '    }',
    ...peer.exportFilters.map((f) => call(f, peer)),
    `    calico_export_to_bgp_peers(${String(peer.sameAs)});`,
    '    reject;',
    '  };  # Only want to export routes for workloads.',
  );
  if (peer.passive) lines.push('  passive on;');
  if (peer.gracefulRestartTime) lines.push(`  graceful restart time ${peer.gracefulRestartTime};`);
  if (peer.keepaliveTime) lines.push(`  keepalive time ${peer.keepaliveTime};`);
  if (peer.routeReflectorClusterId) lines.push('  rr client;', `  rr cluster id ${peer.routeReflectorClusterId};`);
  if (peer.password !== undefined && peer.password !== '') lines.push(`  password "${peer.password}";`);
  if (peer.nextHopSelf) lines.push('  next hop self;');
  if (peer.nextHopKeep) lines.push('  next hop keep;');
  if (peer.allowLocalAs > 0) lines.push(`  allow local as ${peer.allowLocalAs};`);
  lines.push('}');
  return lines;
}

function bgpLines(config: NodeBirdConfig): string[] {
  const filters = config.filters.flatMap((f) => [`# v${config.family} BGPFilter ${f.filter}`, ...f.functions.flatMap(filterFunctionLines)]);
  const peers = config.peers.length > 0 ? ['# BGP Protocol Configurations', ...config.peers.flatMap((p) => peerLines(p, config))] : ['# No BGP peers configured for this node'];
  return [
    '',
    '# Template for all BGP clients',
    'template bgp bgp_template {',
    ...debugLine(config),
    '  description "Connection to BGP peer";',
    `  local as ${config.asNumber};`,
    '  gateway recursive; # This should be the default, but just in case.',
    '  add paths on;',
    '  graceful restart;  # See comment in kernel section about graceful restart.',
    '  connect delay time 2;',
    '  connect retry time 5;',
    '  error wait time 5,30;',
    '}',
    '',
    '# -------------- BGP Filters ------------------',
    ...(filters.length > 0 ? filters : [`# No v${config.family} BGPFilters configured`]),
    ...peers,
    '',
    '',
  ];
}

export function birdCfg(config: NodeBirdConfig): string {
  const lines = [
    ...communitiesFunction(config),
    '',
    '# Generated by confd',
    'include "bird_aggr.cfg";',
    'include "bird_ipam.cfg";',
    '',
    `router id ${config.routerId};`,
    ...listenLines(config),
    '',
    '# Configure synchronization between routing tables and kernel.',
    'protocol kernel {',
    '  learn;             # Learn all alien routes from the kernel',
    "  persist;           # Don't remove routes on bird shutdown",
    '  scan time 2;       # Scan kernel routing table every 2 seconds',
    '  import all;',
    '  export filter calico_kernel_programming; # Default is export none',
    '  graceful restart;  # Turn on graceful restart to reduce potential flaps in',
    '                     # routes when reloading BIRD configuration.  With a full',
    '                     # automatic mesh, there is no way to prevent BGP from',
    '                     # flapping since multiple nodes update their BGP',
    '                     # configuration at the same time, GR is not guaranteed to',
    '                     # work correctly in this scenario.',
    '  merge paths on;    # Allow export multipath routes (ECMP)',
    '}',
    '',
    '# Watch interface up/down events.',
    'protocol device {',
    ...debugLine(config),
    '  scan time 2;    # Scan interfaces every 2 seconds',
    '}',
    '',
    'protocol direct {',
    ...debugLine(config),
    ...directInterfaceLines(config),
    '}',
    '',
    ...(config.nodeIp === '' ? [`# IPv${config.family} disabled on this node.`] : bgpLines(config)),
  ];
  return `${lines.join('\n')}\n`;
}
