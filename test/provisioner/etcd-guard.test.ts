import { describe, expect, it } from 'vitest';
import { parseEtcdStatus, planMemberRemoval, type EtcdMember } from '../../scripts/provisioner/etcd-guard.ts';

// The quorum guard decides alone, from etcd's membership and health and the
// control planes the environment file still wants: these are its cases.

const member = (n: number, healthy = true): EtcdMember => ({ id: `id${n}`, name: `p-cp-${n}`, healthy });
const cps = (...n: number[]): string[] => n.map((i) => `p-cp-${i}`);
const plan = (members: EtcdMember[], node: string, desired: string[]): string[] => planMemberRemoval(members, node, desired).map((m) => m.name);

describe('parseEtcdStatus', () => {
  it('joins the member list with the health lines, whichever stream etcdctl printed them on', () => {
    const text = [
      '8e9e05c52164694d, started, p-cp-1, https://10.0.0.11:2380, https://10.0.0.11:2379, false',
      '91bc3c398fb3c146, started, p-cp-2, https://10.0.0.12:2380, https://10.0.0.12:2379, false',
      'fd422379fda50e48, started, p-cp-3, https://10.0.0.13:2380, https://10.0.0.13:2379, false',
      '2b3c4d5e6f708192, unstarted, , https://10.0.0.14:2380, , false',
      '---',
      'https://10.0.0.11:2379 is healthy: successfully committed proposal: took = 9.8ms',
      'https://10.0.0.12:2379 is unhealthy: failed to commit proposal: context deadline exceeded',
      'Error: unhealthy cluster',
      '',
    ].join('\n');
    expect(parseEtcdStatus(text)).toEqual([
      { id: '8e9e05c52164694d', name: 'p-cp-1', healthy: true },
      { id: '91bc3c398fb3c146', name: 'p-cp-2', healthy: false },
      { id: 'fd422379fda50e48', name: 'p-cp-3', healthy: false },
      { id: '2b3c4d5e6f708192', name: '', healthy: false },
    ]);
  });
});

describe('planMemberRemoval', () => {
  it('leaves etcd alone for a node without a member (a worker)', () => {
    expect(plan([member(1), member(2), member(3)], 'p-worker-1', cps(1))).toEqual([]);
  });

  it('removes one member per hook on 3 → 1 and 5 → 3 when every member is healthy', () => {
    expect(plan([member(1), member(2), member(3)], 'p-cp-3', cps(1))).toEqual(['p-cp-3']);
    expect(plan([member(1), member(2)], 'p-cp-2', cps(1))).toEqual(['p-cp-2']);
    expect(plan([member(1), member(2), member(3), member(4), member(5)], 'p-cp-4', cps(1, 2, 3))).toEqual(['p-cp-4']);
  });

  it('removes an unhealthy leaving member first, whichever hook runs first', () => {
    // p-cp-3's hook runs first: removing it alone would leave p-cp-1 and a dead p-cp-2, 1 of 2.
    expect(plan([member(1), member(2, false), member(3)], 'p-cp-3', cps(1))).toEqual(['p-cp-2', 'p-cp-3']);
    expect(plan([member(1), member(2), member(3), member(4, false), member(5)], 'p-cp-5', cps(1, 2, 3))).toEqual(['p-cp-4', 'p-cp-5']);
  });

  it('lets a machine be replaced (the node stays wanted) when the others keep a majority', () => {
    expect(plan([member(1), member(2), member(3)], 'p-cp-2', cps(1, 2, 3))).toEqual(['p-cp-2']);
  });

  it('refuses when a control plane that stays is unhealthy, naming it', () => {
    expect(() => plan([member(1, false), member(2), member(3)], 'p-cp-3', cps(1))).toThrow(
      'removing p-cp-3 from etcd would leave 2 members of which only p-cp-2 is healthy (unhealthy: p-cp-1): not a majority, so etcd would lose quorum. Bring the unhealthy control plane back before removing p-cp-3.',
    );
    expect(() => plan([member(1), member(2), member(3, false)], 'p-cp-2', cps(1, 2, 3))).toThrow(
      'removing p-cp-2 from etcd would leave 2 members of which only p-cp-1 is healthy (unhealthy: p-cp-3): not a majority',
    );
  });

  it('checks every step, not only the first', () => {
    // 5 → 3 with p-cp-2 (staying) and p-cp-4 (leaving) dead: p-cp-4 goes first (4 of 4 ... 3 of 4), then p-cp-5 leaves 2 of 3.
    expect(plan([member(1), member(2, false), member(3), member(4, false), member(5)], 'p-cp-5', cps(1, 2, 3))).toEqual(['p-cp-4', 'p-cp-5']);
    // 5 → 1 with p-cp-1 (staying) and p-cp-4 dead: the first two steps keep a majority, the third does not.
    expect(() => plan([member(1, false), member(2), member(3), member(4, false), member(5)], 'p-cp-5', cps(1))).toThrow(
      'removing p-cp-4 then p-cp-5 then p-cp-2 from etcd would leave 2 members of which only p-cp-3 is healthy (unhealthy: p-cp-1)',
    );
  });

  it('refuses when etcd has no quorum already', () => {
    expect(() => plan([member(1), member(2, false)], 'p-cp-2', cps(1))).toThrow('etcd has no quorum now: 1 of 2 members are healthy (unhealthy: p-cp-2)');
  });

  it('refuses to remove the only copy of the cluster, saying what it is', () => {
    expect(() => plan([member(3)], 'p-cp-3', cps(1))).toThrow(
      'p-cp-3 holds the only copy of the cluster: removing p-cp-3 would leave etcd without members, and the cluster\'s whole state and its CA private key (/etc/kubernetes/pki/ca.key) would go with it. None of the control planes that stay (p-cp-1) is an etcd member',
    );
    expect(() => plan([member(1)], 'p-cp-1', cps(1))).toThrow('p-cp-1 holds the only copy of the cluster');
  });
});
