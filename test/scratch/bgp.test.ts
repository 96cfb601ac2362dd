import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it, expect } from 'vitest';
import { startLab } from '../../scripts/lab/lab.ts';
import { fabricHosts, labEnvironment } from '../../scripts/lab/environment-file.ts';
import { labRouters } from '../../scripts/lab/environment.ts';
import { loadEnvironment } from '../../stacks/environment/load.ts';
import { herd } from '../provisioner/lab-env.ts';

it('scratch', async () => {
  const work = mkdtempSync(join(tmpdir(), 'herd-scratch-'));
  const { hosts, fabric } = fabricHosts('sx', 90, 1, 2);
  const lab = await startLab({ stateDir: join(work, 'lab'), hosts, isolated: { bastion: { name: 'sx-bastion', address: '127.90.0.10' }, fabric } });
  try {
    const env = labEnvironment('sx', join(work, 'environments'), lab, 90);
    env.write({ controlPlanes: 1, workers: 2 }, { calico: { version: '3.32.1', bgp: { peers: [{ name: 'sx-tor', address: '198.18.90.2', asNumber: 65001, passwordFrom: { env: 'SX_PW' } }] } } });
    console.log(await lab.startRouters(labRouters(loadEnvironment(env.file), { SX_PW: 'pw-123' })));
    const t0 = Date.now();
    const r = await herd(['--environments', env.dir, 'apply', 'sx', '--verify-timeout', '60'], { ...process.env, SX_PW: 'pw-123' });
    console.log(r.stdout.slice(-3000), r.stderr.slice(-3000), (Date.now() - t0) / 1000);
    console.log(await lab.vtysh('sx-tor', 'show bgp summary'));
    console.log(execFileSync('nsenter', [`--net=${lab.routerNetns('sx-tor').file}`, 'ip', 'route'], { encoding: 'utf8' }));
    for (const h of lab.hosts) console.log(h.name, lab.readFile(h.name, '/var/log/calico/calico-node.log'));
    console.log(JSON.stringify(lab.clusterState()?.calicoNodes, null, 1).slice(0, 3000));
    expect(r.status).toBe(0);
  } finally {
    await lab.stop();
  }
}, 300_000);
