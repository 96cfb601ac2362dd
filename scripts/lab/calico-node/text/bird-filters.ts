import type { BGPFilterRule } from '../resources.ts';
import type { FilterFunction } from '../model/bgp-filters.ts';
import { familyOf } from '../model/addresses.ts';

// A BGPFilter rule as a BIRD statement (template_funcs.go, filterStatement): the rule's
// conditions joined with &&, then its operations and action. BGP local preference carries
// Calico's route priority: priority p is local_pref 2147483647 - p.

const MAX_LOCAL_PREF = 2147483647;
const OPERATOR: Record<string, string> = { Equal: '=', NotEqual: '!=', In: '~', NotIn: '!~' };

function community(value: string): { text: string; attribute: string } {
  const parts = value.split(':');
  return { text: `(${parts.join(', ')})`, attribute: parts.length === 3 ? 'bgp_large_community' : 'bgp_community' };
}

function cidrMatch(rule: BGPFilterRule): string {
  const cidr = rule.cidr!;
  let target = cidr;
  if (rule.prefixLength) {
    const mask = Number(cidr.split('/')[1]);
    const longest = familyOf(cidr) === 6 ? 128 : 32;
    const min = Math.max(mask, rule.prefixLength.min ?? mask);
    const max = Math.min(longest, rule.prefixLength.max ?? longest);
    target = `[ ${cidr}{${min},${max}} ]`;
  }
  return `(net ${OPERATOR[rule.matchOperator ?? 'In']} ${target})`;
}

function conditions(rule: BGPFilterRule): string[] {
  const all: string[] = [];
  if (rule.cidr) all.push(cidrMatch(rule));
  if (rule.source === 'RemotePeers') all.push('((defined(source))&&(source ~ [ RTS_BGP ]))');
  if (rule.interface) all.push(`((defined(ifname))&&(ifname ~ "${rule.interface}"))`);
  for (const value of rule.communities?.values ?? []) {
    const c = community(value);
    all.push(`(${c.text} ~ ${c.attribute})`);
  }
  if (rule.asPathPrefix && rule.asPathPrefix.length > 0) all.push(`(bgp_path ~ [= ${rule.asPathPrefix.join(' ')} * =])`);
  if (rule.priority !== undefined) all.push(`(defined(bgp_local_pref)&&(bgp_local_pref = ${MAX_LOCAL_PREF - rule.priority}))`);
  return all;
}

function operations(rule: BGPFilterRule): string[] {
  return (rule.operations ?? []).flatMap((op) => {
    if (op.addCommunity) {
      const c = community(op.addCommunity.value);
      return [`${c.attribute}.add(${c.text});`];
    }
    // BIRD prepends one AS at a time: the first AS of the prefix is prepended last.
    if (op.prependASPath) return [...op.prependASPath.prefix].reverse().map((as) => `bgp_path.prepend(${as});`);
    if (op.setPriority) return [`bgp_local_pref = ${MAX_LOCAL_PREF - op.setPriority.value};`];
    return [];
  });
}

export function filterStatement(rule: BGPFilterRule): string {
  const action = [...operations(rule), `${rule.action.toLowerCase()};`].join(' ');
  const conds = conditions(rule);
  const statement = conds.length > 0 ? `if (${conds.join('&&')}) then { ${action} }` : action;
  if (rule.peerType === 'iBGP') return `if (is_same_as) then { ${statement} }`;
  if (rule.peerType === 'eBGP') return `if (!is_same_as) then { ${statement} }`;
  return statement;
}

export function filterFunctionLines(fn: FilterFunction): string[] {
  return [`function '${fn.symbol}'(${fn.takesPeerType ? 'bool is_same_as' : ''}) {`, ...fn.rules.map((r) => `  ${filterStatement(r)}`), '}'];
}
