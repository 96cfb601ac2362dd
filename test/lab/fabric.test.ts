import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, stopLab, type Lab } from '../../scripts/lab/lab.ts';
import { connect, exec, tempStateDir, throughBastion } from './helpers.ts';

// A lab whose hosts sit on a fabric: each in a network namespace of its own,
// attached to one bridge that holds the gateway, reachable only through the
// bastion. Bastion 127.36.0.10, fabric 198.18.36.0/24: no other test uses them.

const run = promisify(execFile);
const BASTION = { name: 'fab-bastion', address: '127.36.0.10' };
const FABRIC = { cidr: '198.18.36.0/24', gateway: '198.18.36.1' };
const HOSTS = [
  { name: 'fab-1', address: '198.18.36.11' },
  { name: 'fab-2', address: '198.18.36.12' },
];

/** This machine's own addresses and routes: the lab must add none. */
async function machineNetwork(): Promise<string> {
  const [addresses, routes] = await Promise.all([run('ip', ['-o', 'addr', 'show']), run('ip', ['route', 'show', 'table', 'all'])]);
  return `${addresses.stdout}\n${routes.stdout}`;
}

describe('a lab on a fabric', () => {
  const stateDir = tempStateDir('fabric');
  let lab: Lab;
  let before: string;

  beforeAll(async () => {
    before = await machineNetwork();
    lab = await startLab({ stateDir, hosts: HOSTS, isolated: { bastion: BASTION, fabric: FABRIC } });
  });
  afterAll(async () => {
    await stopLab(stateDir);
  });

  it('gives each host a namespace of its own with its address on eth0 and a route through the gateway', async () => {
    expect(lab.fabric).toEqual(FABRIC);
    expect(lab.hosts.map((h) => [h.name, h.network])).toEqual(HOSTS.map((h) => [h.name, 'fabric']));
    for (const h of HOSTS) {
      const ns = lab.netns(h.name);
      expect(existsSync(ns.file), ns.file).toBe(true);
      const inside = await lab.exec(h.name, 'ip -o -4 addr show dev eth0; ip route show default');
      expect(inside.stdout).toContain(`inet ${h.address}/24`);
      expect(inside.stdout).toContain(`default via ${FABRIC.gateway} dev eth0`);
    }
    expect(lab.netns('fab-1').name).not.toBe(lab.netns('fab-2').name);
  });

  it('adds no address or route to this machine’s own network', async () => {
    expect(await machineNetwork()).toBe(before);
  });

  it('connects the hosts with each other and with the gateway over the fabric', async () => {
    const knock = await lab.exec('fab-1', `head -c 4 < /dev/tcp/${HOSTS[1]!.address}/22 && ping -c 1 -W 2 ${FABRIC.gateway} >/dev/null && echo gateway`);
    expect(knock.stdout, knock.stderr).toBe('SSH-gateway\n');
  });

  it('reaches the hosts only through the bastion, whose sessions stand on the fabric', async () => {
    const bastion = await connect(lab, BASTION.name);
    try {
      expect((await exec(bastion, 'ip -o -4 addr show dev fabric0')).stdout).toContain(`inet ${FABRIC.gateway}/24`);
      for (const h of HOSTS) {
        const client = await throughBastion(lab, bastion, h.name);
        expect((await exec(client, 'hostname; ip -o -4 addr show dev eth0')).stdout).toContain(`${h.name}\n`);
        client.end();
      }
    } finally {
      bastion.end();
    }
  });

  it('refuses a host outside the fabric, and a fabric outside 198.18.0.0/15, before starting anything', async () => {
    await expect(startLab({ stateDir, hosts: [{ name: 'fab-3', address: '198.18.37.11' }], isolated: { bastion: BASTION, fabric: FABRIC } })).rejects.toThrow(
      'lab host fab-3: address "198.18.37.11" is not a host address of the fabric 198.18.36.0/24',
    );
    await expect(startLab({ stateDir, hosts: HOSTS, isolated: { bastion: BASTION, fabric: { cidr: '10.36.0.0/24', gateway: '10.36.0.1' } } })).rejects.toThrow(
      'lab fabric 10.36.0.0/24: a lab fabric takes its addresses from 198.18.0.0/15 (set aside for network tests), so that it can never be a real network of this machine',
    );
    await expect(startLab({ stateDir, hosts: HOSTS, isolated: { bastion: BASTION, fabric: { cidr: '198.18.36.0/24', gateway: '198.18.36.11' } } })).rejects.toThrow(
      'lab host fab-1: 198.18.36.11 is the fabric\'s gateway',
    );
    expect(lab.hosts.map((h) => h.name)).toEqual(['fab-1', 'fab-2']);
  });

  it('removes every namespace it made when it stops', async () => {
    const files = [lab.isolatedNetwork!.file, ...HOSTS.map((h) => lab.netns(h.name).file)];
    await stopLab(stateDir);
    for (const file of files) expect(existsSync(file), file).toBe(false);
    expect(await machineNetwork()).toBe(before);
  });
});
