import type { ClusterNode } from '../../stacks/topology/topology.ts';
import type { NetworkModel, Router, Session } from './model.ts';

// The network model as Graphviz DOT: racks as clusters, nodes (or a pool's
// nodes as one group, past a size), routers and the load balancer above them,
// one edge per BGP session (or per group and peer, with the count). Graphviz
// lays it out; nothing here places anything.

export interface DotOptions {
  /** A pool with more nodes than this in one rack is drawn as one group with its address range. */
  readonly groupAbove: number;
}

export const DEFAULT_GROUP_ABOVE = 8;

/** A box on the diagram: one node, or a pool's nodes in one rack. */
interface Speaker {
  readonly id: string;
  readonly members: readonly ClusterNode[];
}

const STYLE = {
  eBGP: { color: '#1f5fa8', style: 'solid' },
  iBGP: { color: '#6b6b6b', style: 'dashed' },
} as const;

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const quote = (id: string): string => `"${id.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** An HTML-like label: a bold first line, then plain lines. */
function label(title: string, lines: readonly string[]): string {
  return `<<b>${esc(title)}</b>${lines.map((l) => `<br/>${esc(l)}`).join('')}>`;
}

function roleText(node: ClusterNode): string {
  return `${node.role === 'controlPlane' ? 'control plane' : `worker · ${node.pool}`}${node.routeReflector ? ' · route reflector' : ''}`;
}

function speakers(nodes: readonly ClusterNode[], options: DotOptions): Speaker[] {
  const out: Speaker[] = [];
  for (const pool of [...new Set(nodes.map((n) => n.pool))]) {
    const members = nodes.filter((n) => n.pool === pool);
    const grouped = members.filter((n) => !n.routeReflector);
    if (grouped.length > options.groupAbove) {
      out.push(...members.filter((n) => n.routeReflector).map((n) => ({ id: n.name, members: [n] })));
      out.push({ id: `${grouped[0]!.name}…${grouped.at(-1)!.index}`, members: grouped });
    } else {
      out.push(...members.map((n) => ({ id: n.name, members: [n] })));
    }
  }
  return out;
}

function speakerNode(s: Speaker): string {
  const [first] = s.members;
  if (s.members.length === 1) {
    const fill = first!.role === 'controlPlane' ? '#fdf1d8' : '#e8f3e8';
    return `${quote(s.id)} [id=${quote(`node:${first!.name}`)}, fillcolor="${fill}", label=${label(first!.name, [`${first!.address} · AS ${first!.asNumber}`, roleText(first!)])}];`;
  }
  const last = s.members.at(-1)!;
  const ases = [...new Set(s.members.map((n) => n.asNumber))].join(', ');
  return (
    `${quote(s.id)} [id=${quote(`group:${first!.pool}:${first!.rack ?? '-'}`)}, shape=box3d, fillcolor="#e8f3e8", ` +
    `label=${label(`${first!.name} … ${last.name}`, [`${s.members.length} nodes · ${first!.address} – ${last.address}`, `AS ${ases}`, `worker · ${first!.pool}`])}];`
  );
}

function prefixText(p: { cidr: string; what: string }, blockSize: ReadonlyMap<string, number>): string {
  const block = blockSize.get(p.cidr);
  return `${p.what} ${p.cidr}${block === undefined ? '' : ` (/${block} blocks)`}`;
}

function routerNode(r: Router, blockSize: ReadonlyMap<string, number>): string {
  const lines = [
    `${r.address} · AS ${r.asNumber}`,
    r.kind === 'loadBalancer' ? 'load balancer' : 'router',
    ...r.receives.map((p) => `receives ${prefixText(p, blockSize)}`),
    ...r.filteredOut.map((p) => `filtered out: ${prefixText(p, blockSize)}`),
  ];
  const fill = r.kind === 'loadBalancer' ? '#f6e3ef' : '#e3ecf6';
  return `${quote(`peer:${r.name}`)} [id=${quote(`router:${r.name}`)}, shape=box, fillcolor="${fill}", label=${label(r.name, lines)}];`;
}

/** Sessions between the same two boxes become one edge: a group's to one router, with their count. */
function edges(model: NetworkModel, boxOf: ReadonlyMap<string, string>): string[] {
  const merged = new Map<string, { from: string; to: string; sessions: Session[] }>();
  const routers = new Set(model.routers.map((r) => r.name));
  for (const s of model.sessions) {
    const from = boxOf.get(s.from)!;
    const to = routers.has(s.to) && s.reason === 'peer' ? `peer:${s.to}` : boxOf.get(s.to)!;
    const key = [from, to, s.type, s.reason, s.passwordEnv ?? ''].join('\0');
    const entry = merged.get(key) ?? { from, to, sessions: [] };
    entry.sessions.push(s);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ from, to, sessions }) => {
    const [s] = sessions;
    const style = STYLE[s!.type];
    const count = sessions.length > 1 ? `${sessions.length}× ` : '';
    const password = s!.passwordEnv === null ? 'no password' : `password from ${s!.passwordEnv}`;
    const tooltip = `${count}${s!.type} ${s!.reason === 'peer' ? 'peering' : s!.reason === 'mesh' ? 'node-to-node mesh' : 'route reflection'}: ${from} – ${to.replace(/^peer:/, '')}, ${password}`;
    const attrs = [
      `id=${quote(`session:${from}|${to.replace(/^peer:/, '')}|${s!.type}`)}`,
      `color="${style.color}"`,
      `style=${style.style}`,
      `penwidth=${s!.passwordEnv === null ? 1 : 2.4}`,
      `tooltip=${quote(tooltip)}`,
      ...(sessions.length > 1 ? [`label=${quote(`${sessions.length}×`)}`] : []),
      // Sessions inside the cluster should not pull the racks apart.
      ...(s!.reason === 'peer' ? [] : ['constraint=false']),
    ];
    // A peer's edge runs router → node, so that Graphviz ranks the routers before the racks.
    const [tail, head] = s!.reason === 'peer' ? [to, from] : [from, to];
    return `  ${quote(tail)} -> ${quote(head)} [${attrs.join(', ')}];`;
  });
}

function legend(model: NetworkModel): string[] {
  const internal = model.nodeToNodeMesh ? "Calico's node-to-node mesh" : model.routeReflectorClusterId !== null ? `route reflectors, cluster ID ${model.routeReflectorClusterId}` : 'no sessions between nodes';
  const lines = [
    `blue, solid: eBGP · grey, dashed: iBGP · thick: TCP-MD5 password (by reference)`,
    `inside the cluster: ${internal}`,
    `nodes ${model.nodeCidr} · services ${model.serviceCidr} · pods ${model.podPools.map((p) => `${p.cidr} (/${p.blockSize} blocks)`).join(', ')}`,
  ];
  return [`  legend [id="legend", shape=plaintext, style="", label=${label(`${model.cluster}: BGP sessions`, lines)}];`];
}

export function toDot(model: NetworkModel, options: DotOptions = { groupAbove: DEFAULT_GROUP_ABOVE }): string {
  const boxOf = new Map<string, string>();
  const blockSize = new Map(model.podPools.map((p) => [p.cidr, p.blockSize]));
  const lines = [
    `digraph ${quote(model.cluster)} {`,
    '  graph [rankdir=LR, newrank=true, nodesep=0.18, ranksep=1.6, fontname="Helvetica", fontsize=12];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
    '  edge [dir=none, fontname="Helvetica", fontsize=9, penwidth=1];',
    ...legend(model),
    `  api [id="api", shape=note, fillcolor="#ffffff", label=${label('API endpoint', [model.apiEndpoint.url, model.apiEndpoint.onFirstNode ? 'the first control plane' : 'load-balanced virtual address'])}];`,
    '  { rank=min; api; }',
  ];
  if (model.routers.length > 0) {
    lines.push('  subgraph cluster_routers {', '    label="routers and load balancers"; style="rounded"; color="#9aa7b5";');
    lines.push(...model.routers.map((r) => `    ${routerNode(r, blockSize)}`), '  }');
  }
  model.racks.forEach((rack, i) => {
    const asNumbers = [...new Set(rack.nodes.map((n) => n.asNumber))].join(', ');
    const title = rack.name === undefined ? `${model.cluster} nodes` : `rack ${rack.name}`;
    lines.push(`  subgraph cluster_rack_${i} {`, `    label=${label(title, [`AS ${asNumbers}`])}; style="rounded"; color="#8fae8f";`);
    for (const s of speakers(rack.nodes, options)) {
      for (const n of s.members) boxOf.set(n.name, s.id);
      lines.push(`    ${speakerNode(s)}`);
    }
    lines.push('  }');
  });
  const controlPlanes = model.racks.flatMap((r) => r.nodes).filter((n) => n.role === 'controlPlane');
  lines.push(...controlPlanes.map((n) => `  api -> ${quote(boxOf.get(n.name)!)} [id=${quote(`api:${n.name}`)}, style=dotted, color="#999999", constraint=false];`));
  lines.push(...edges(model, boxOf), '}');
  return `${lines.join('\n')}\n`;
}
