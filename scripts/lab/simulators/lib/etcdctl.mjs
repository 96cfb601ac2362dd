// etcdctl as run inside a control plane's etcd pod (kubectl exec): member list|remove, endpoint health|status.
import { parseArgs } from './args.mjs';
import { etcdQuorum, kubeletRunning } from './kube.mjs';
import { formatTable } from './printers.mjs';
import { fail } from './sim.mjs';

const FLAGS = {
  endpoints: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'write-out': { type: 'string', short: 'w' },
  cluster: { type: 'boolean' },
  hex: { type: 'boolean' },
  'dial-timeout': { type: 'string' },
  'command-timeout': { type: 'string' },
  insecure: { type: 'boolean' },
};

function box(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const center = (s, w) => {
    const left = Math.floor((w - s.length) / 2);
    return `${' '.repeat(left)}${s}${' '.repeat(w - s.length - left)}`;
  };
  const row = (cells, align) => `|${cells.map((c, i) => ` ${align(c, widths[i])} `).join('|')}|`;
  return [line, row(header, center), line, ...rows.map((r) => row(r, (c, w) => c.padStart(w))), line].join('\n') + '\n';
}

export function etcdctl(ctx, kube, args) {
  const { flags, positionals } = parseArgs(args, FLAGS, { onUnknown: (f) => fail(1, `Error: unknown flag: ${f}`) });
  const [group, verb, ...rest] = positionals;
  const format = flags['write-out'] ?? 'simple';
  if (group === 'member' && verb === 'list') {
    const state = kube.connect();
    if (!etcdQuorum(state)) fail(1, '{"level":"warn","msg":"retrying of unary invoker failed","error":"context deadline exceeded"}\nError: context deadline exceeded');
    const members = state.etcdMembers;
    if (format === 'json') {
      ctx.out(`${JSON.stringify({ header: { cluster_id: 0, member_id: 0, raft_term: 2 }, members: members.map((m) => ({ ID: BigInt(`0x${m.id}`).toString(), name: m.name, peerURLs: [m.peerURL], clientURLs: [m.clientURL] })) })}\n`);
    } else if (format === 'table') {
      ctx.out(box(['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'], members.map((m) => [m.id, 'started', m.name, m.peerURL, m.clientURL, 'false'])));
    } else {
      for (const m of members) ctx.out(`${m.id}, started, ${m.name}, ${m.peerURL}, ${m.clientURL}, false\n`);
    }
    return 0;
  }
  if (group === 'member' && verb === 'remove') {
    const [id] = rest;
    if (!id) fail(1, 'Error: member ID is not provided');
    let removed = false;
    kube.mutate((state) => {
      if (!etcdQuorum(state)) fail(1, 'Error: context deadline exceeded');
      const at = state.etcdMembers.findIndex((m) => m.id === id.toLowerCase());
      if (at === -1) return;
      state.etcdMembers.splice(at, 1);
      removed = true;
    });
    if (!removed) fail(1, 'Error: etcdserver: member not found');
    ctx.out(`Member ${id.toLowerCase()} removed from cluster 8e4d7e9c1f1b2a3c\n`);
    return 0;
  }
  if (group === 'endpoint' && (verb === 'health' || verb === 'status')) {
    const state = kube.connect();
    const members = flags.cluster ? state.etcdMembers : state.etcdMembers.slice(0, 1);
    let code = 0;
    const rows = members.map((m) => {
      const healthy = kubeletRunning(state, m.host) && etcdQuorum(state);
      if (!healthy) code = 1;
      return { m, healthy };
    });
    if (verb === 'health') {
      for (const { m, healthy } of rows) ctx.out(healthy ? `${m.clientURL} is healthy: successfully committed proposal: took = 9.8ms\n` : `${m.clientURL} is unhealthy: failed to commit proposal: context deadline exceeded\n`);
      if (code) ctx.err('Error: unhealthy cluster\n');
      return code;
    }
    const table = rows.map(({ m }, i) => [m.clientURL, m.id, '3.6.5', '20 MB', String(i === 0), 'false', '2', '1234', '1234', '']);
    ctx.out(format === 'table' ? box(['ENDPOINT', 'ID', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'ERRORS'], table) : formatTable(null, table));
    return code;
  }
  fail(1, `Error: the herd lab's etcdctl supports member list|remove and endpoint health|status`);
}
