import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { labRouters } from '../../scripts/lab/environment.ts';
import { fabricHosts, labEnvironment, type LabEnvironment } from '../../scripts/lab/environment-file.ts';
import { startLab, stopLab, type Lab, type RouterSpec } from '../../scripts/lab/lab.ts';
import { tempStateDir } from './helpers.ts';

// The lab's routers: real FRR in namespaces of their own on the fabric, loaded
// with what `herd peers` renders. Bastion 127.37.0.10, fabric 198.18.37.0/24.

const run = promisify(execFile);
const NET = 37;
const CANARY = 'rt-canary-3e91d2';
const PEER = { name: 'rt-tor', address: '198.18.37.2', asNumber: 65001, passwordFrom: { env: 'RT_BGP_PASSWORD' } };

describe('lab routers', () => {
  const stateDir = tempStateDir('routers');
  const { hosts, fabric } = fabricHosts('rt', NET, 1, 1);
  let lab: Lab;
  let env: LabEnvironment;
  let routers: RouterSpec[];

  const inRouter = async (script: string): Promise<string> => (await run('nsenter', [`--net=${lab.routerNetns(PEER.name).file}`, '--', 'bash', '-c', script])).stdout;

  beforeAll(async () => {
    lab = await startLab({ stateDir, hosts, isolated: { bastion: { name: 'rt-bastion', address: '127.37.0.10' }, fabric } });
    env = labEnvironment('rt', join(stateDir, 'environments'), lab, NET);
    env.write({ controlPlanes: 1, workers: 1 }, { calico: { version: '3.32.1', bgp: { peers: [PEER] } } });
    routers = labRouters(loadEnvironment(env.file), { RT_BGP_PASSWORD: CANARY });
  });
  afterAll(async () => {
    await stopLab(stateDir);
  });

  it('renders one router per peer from the environment, and names a password it lacks', () => {
    expect(routers.map((r) => [r.name, r.address])).toEqual([[PEER.name, PEER.address]]);
    expect(routers[0]!.config).toContain('${RT_BGP_PASSWORD}');
    expect(() => labRouters(loadEnvironment(env.file), {})).toThrow(`${env.file}: calico.bgp.peers[0].passwordFrom.env: the lab's router rt-tor needs this peer's password: set RT_BGP_PASSWORD`);
  });

  it('starts FRR in the router’s namespace at the peer’s address, loaded with the rendered file and its password', async () => {
    expect(await lab.startRouters(routers)).toEqual({ [PEER.name]: 'started' });
    expect(lab.routers).toEqual([{ name: PEER.name, address: PEER.address, running: true }]);
    expect(await inRouter('ip -o -4 addr show dev eth0')).toContain(`inet ${PEER.address}/24`);
    const config = await lab.vtysh(PEER.name, 'show running-config');
    expect(config).toContain('router bgp 65001');
    expect(config).toContain(`bgp router-id ${PEER.address}`);
    // The password reached FRR, substituted as the file's header says, and no file holds it.
    expect(config).toContain(`password ${CANARY}`);
    expect(spawnSync('grep', ['-rl', CANARY, stateDir], { encoding: 'utf8' })).toMatchObject({ status: 1, stdout: '' });
    expect(lab.routerRecord(PEER.name)).toMatchObject({ loads: 1 });
  });

  it('leaves a router alone when nothing changed, and reloads it when its password did', async () => {
    expect(await lab.startRouters(routers)).toEqual({ [PEER.name]: 'unchanged' });
    expect(lab.routerRecord(PEER.name).loads).toBe(1);
    const changed = routers.map((r) => ({ ...r, secrets: { RT_BGP_PASSWORD: `${CANARY}-2` } }));
    expect(await lab.startRouters(changed)).toEqual({ [PEER.name]: 'reloaded' });
    expect(lab.routerRecord(PEER.name).loads).toBe(2);
    expect(await lab.vtysh(PEER.name, 'show running-config')).toContain(`password ${CANARY}-2`);
  });

  it('fails naming the router and the line vtysh refused, without the password', async () => {
    const broken = routers.map((r) => ({ ...r, config: `${r.config}router bgp 65001\n neighbor herd-rt password \${RT_BGP_PASSWORD} twice\n` }));
    const error = await lab.startRouters(broken).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(error).toMatch(/^router rt-tor: vtysh refused its configuration \(exit \d+\):\n/);
    expect(error).toContain('<redacted>');
    expect(error).not.toContain(CANARY);
    // Half loaded, the router matches no record: the next start loads it afresh.
    expect(lab.routers).toEqual([]);
    expect(await lab.startRouters(routers)).toEqual({ [PEER.name]: 'started' });
  });

  it('refuses a router at a host’s address before touching anything', async () => {
    await expect(lab.startRouters([{ ...routers[0]!, name: 'rt-clash', address: hosts[0]!.address }])).rejects.toThrow(`lab router rt-clash: ${hosts[0]!.address} is taken by lab host rt-cp-1`);
    expect(lab.routers.map((r) => r.name)).toEqual([PEER.name]);
  });

  it('stops its routers with the lab', async () => {
    const netns = lab.routerNetns(PEER.name).file;
    await stopLab(stateDir);
    expect(existsSync(netns)).toBe(false);
    const frr = spawnSync('pgrep', ['-f', join(stateDir, 'routers')], { encoding: 'utf8' });
    expect(frr.stdout).toBe('');
  });
});
