import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeDistinct } from './tools.ts';

// vtysh -C checks each line's syntax; bgpd itself decides whether it accepts them (a listen range
// naming a peer group without a remote AS, a limit out of range). So each rendered frr.conf is
// loaded into a real bgpd 8.4 and its running configuration read back. Nothing is reachable from
// these daemons: -p 0 opens no BGP port and -P 0 no vty port, only a vty socket in a folder of
// their own, so they need no network namespace.
const BGPD = '/usr/lib/frr/bgpd';
const CANARY = 'canary-bgp-password-7f3a';
const frr = spawnSync('id', ['-u', 'frr'], { encoding: 'utf8' });
const frrUid = Number(frr.stdout.trim());
const frrGid = Number(spawnSync('id', ['-g', 'frr'], { encoding: 'utf8' }).stdout.trim());
const root = mkdtempSync(join(tmpdir(), 'herd-bgpd-'));
// bgpd drops to the frr user, which must reach its own folder.
chmodSync(root, 0o711);
const daemons: number[] = [];

afterAll(() => {
  for (const pid of daemons) {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Starts bgpd on one config and returns its running configuration and its log. */
function loadInBgpd(name: string, conf: string): { running: string; log: string } {
  const dir = join(root, name);
  spawnSync('mkdir', ['-p', dir]);
  chownSync(dir, frrUid, frrGid);
  const file = join(dir, 'bgpd.conf');
  writeFileSync(file, conf.replace(/\$\{[A-Z0-9_]+\}/g, CANARY), { mode: 0o600 });
  chownSync(file, frrUid, frrGid);
  const log = join(dir, 'bgpd.log');
  const start = spawnSync(BGPD, ['-d', '-Z', '-p', '0', '-P', '0', '-f', file, '-i', join(dir, 'bgpd.pid'), '--vty_socket', dir, '-u', 'frr', '-g', 'frr', '--log', `file:${log}`], {
    encoding: 'utf8',
  });
  expect(start.status, `${name}: bgpd did not start: ${start.stderr}`).toBe(0);
  const pidFile = join(dir, 'bgpd.pid');
  for (let i = 0; i < 100 && !existsSync(join(dir, 'bgpd.vty')); i++) sleep(50);
  if (existsSync(pidFile)) daemons.push(Number(readFileSync(pidFile, 'utf8').trim()));
  const show = spawnSync('vtysh', ['--vty_socket', dir, '-c', 'show running-config'], { encoding: 'utf8' });
  expect(show.status, `${name}: ${show.stderr}`).toBe(0);
  return { running: show.stdout, log: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}

/** How bgpd logs a line of its config file that it did not take. */
const BGPD_REFUSED = /Config Failed|Unknown command/i;

/**
 * The lines of the router bgp block that carry a decision: who may peer, with which AS, under which
 * policy. (`activate` is left out: IPv4 unicast is active by default, so bgpd does not print it.)
 */
function sessionLines(conf: string): string[] {
  return conf
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(router bgp|bgp router-id|bgp listen|neighbor \S+ (peer-group|remote-as|password|timers|route-map))/.test(l))
    .sort();
}

describe.skipIf(userInfo().uid !== 0 || !existsSync(BGPD))("routers' frr.conf in FRR's own bgpd", () => {
  const configs = writeDistinct((a) => a.path.endsWith('/frr.conf'));

  it.each(configs.files.map((f) => [f.origin, f.file] as const))('%s loads, and bgpd keeps every session line', (origin, file) => {
    const conf = readFileSync(file, 'utf8');
    const { running, log } = loadInBgpd(origin.replace(/[^a-z0-9]+/gi, '-'), conf);
    expect(log, 'bgpd refused lines of the file').not.toMatch(BGPD_REFUSED);
    expect(sessionLines(running)).toEqual(expect.arrayContaining(sessionLines(conf.replace(/\$\{[A-Z0-9_]+\}/g, CANARY))));
  });

  it('the check can fail: a listen range whose peer group has no remote AS passes vtysh -C but not bgpd', () => {
    const conf = 'router bgp 65001\n bgp router-id 10.0.0.1\n neighbor nodes peer-group\n bgp listen range 10.0.0.0/24 peer-group nodes\nexit\n';
    const file = join(root, 'no-remote-as.conf');
    writeFileSync(file, conf);
    writeFileSync(join(root, 'vtysh.conf'), '');
    expect(spawnSync('vtysh', ['--config_dir', root, '-C', '-f', file]).status).toBe(0);
    const { running, log } = loadInBgpd('no-remote-as', conf);
    expect(log).toMatch(BGPD_REFUSED);
    expect(sessionLines(running)).not.toContain('bgp listen range 10.0.0.0/24 peer-group nodes');
  });
});
