import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calicoNodeStatusFromBird } from '../../scripts/lab/calico-node/index.ts';
import { loadCrdValidator } from '../templates/crd-validator.ts';

// CalicoNodeStatus.status from what real BIRD 1.6.8 printed (fixtures/bird/), as calico-node's
// status reporter builds it, and valid for Calico v3.32.1's CalicoNodeStatus CRD.

const bird = (file: string): string => readFileSync(join(import.meta.dirname, 'fixtures', 'bird', file), 'utf8');
const at = new Date('2026-12-01T09:56:00Z');
const crds = loadCrdValidator();

function asResource(status: unknown): unknown {
  return { apiVersion: 'projectcalico.org/v3', kind: 'CalicoNodeStatus', metadata: { name: 'kube-master' }, spec: { node: 'kube-master', classes: ['Agent', 'BGP'] }, status };
}

// The node peering was Idle when `show protocols all` ran and Active (retrying) a moment later.
const sessions = (nodePeerState: string): unknown[] => [
  { peerIP: '127.88.0.2', type: 'NodeMesh', state: 'Established', since: '09:55:48' },
  { peerIP: '127.88.0.9', type: 'NodePeer', state: nodePeerState, since: '09:55:46' },
  { peerIP: '127.88.0.2', type: 'GlobalPeer', state: 'Connect', since: '09:55:46' },
];

describe('CalicoNodeStatus from birdc', () => {
  it('reports each Calico BGP session with its peer, type and state; the protocol state counts what is established', () => {
    const status = calicoNodeStatusFromBird({ showProtocols: bird('show-protocols-all.txt'), showStatus: bird('show-status.txt'), at });
    expect(status).toEqual({
      lastUpdated: '2026-12-01T09:56:00Z',
      agent: {
        birdV4: {
          state: 'Ready',
          version: '1.6.8',
          routerID: '10.192.0.2',
          lastBootTime: '2026-12-01 09:55:46',
          lastReconfigurationTime: '2026-12-01 09:55:46',
        },
      },
      bgp: { numberEstablishedV4: 1, numberNotEstablishedV4: 2, numberEstablishedV6: 0, numberNotEstablishedV6: 0, peersV4: sessions('Idle'), peersV6: [] },
    });
    expect(crds.validate(asResource(status))).toEqual([]);
  });

  it('reads the same sessions from the short `show protocols` table (peer address from the protocol name)', () => {
    const status = calicoNodeStatusFromBird({ showProtocols: bird('show-protocols.txt'), at });
    expect(status.bgp.peersV4).toEqual(sessions('Active'));
    expect(status.agent.birdV4).toEqual({ state: 'Ready' });
  });

  it('reads the control socket replies, with their numeric codes, the same way', () => {
    const lines = bird('show-protocols.txt').trimEnd().split('\n');
    const raw = ['0001 BIRD 1.6.8 ready.', `2002-${lines[1]}`, `1002-${lines[2]}`, ...lines.slice(3).map((l) => ` ${l}`), '0000 '].join('\n');
    expect(calicoNodeStatusFromBird({ showProtocols: raw, at }).bgp.peersV4).toEqual(sessions('Active'));
  });

  it('leaves out a state the API has no name for (BIRD\'s Passive) and counts the session as not established', () => {
    const status = calicoNodeStatusFromBird({ showProtocols: bird('peer-shut-down-protocols-all.txt'), at });
    expect(status.bgp).toMatchObject({ numberEstablishedV4: 0, numberNotEstablishedV4: 1, peersV4: [{ peerIP: '127.88.0.1', type: 'NodeMesh', since: '09:55:58' }] });
    expect(status.bgp.peersV4[0]).not.toHaveProperty('state');
    expect(crds.validate(asResource(status))).toEqual([]);
  });

  it('reports no sessions and the agent NotReady when BIRD does not answer', () => {
    const status = calicoNodeStatusFromBird({ showProtocols: undefined, at });
    expect(status.agent).toEqual({ birdV4: { state: 'NotReady' } });
    expect(status.bgp).toEqual({ numberEstablishedV4: 0, numberNotEstablishedV4: 0, numberEstablishedV6: 0, numberNotEstablishedV6: 0, peersV4: [], peersV6: [] });
    expect(crds.validate(asResource(status))).toEqual([]);
  });

  it('ignores protocols that are not Calico peers: other protocol types, local-workload peerings, other names', () => {
    const text = [
      'BIRD 1.6.8 ready.',
      'name     proto    table    state  since       info',
      'kernel1  Kernel   master   up     10:00:00    ',
      'Local_Workload_192_168_162_134 BGP      master   up     10:00:01    Established   ',
      'uplink   BGP      master   up     10:00:01    Established   ',
      'Node_10_0_0_1_port_1790 BGP      master   up     10:00:02    Established   ',
    ].join('\n');
    expect(calicoNodeStatusFromBird({ showProtocols: text, at }).bgp.peersV4).toEqual([{ peerIP: '10.0.0.1', type: 'NodePeer', state: 'Established', since: '10:00:02' }]);
  });
});
