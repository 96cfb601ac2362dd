/**
 * Benchmark (not a test): start N lab hosts, run `hostname` over SSH (ssh2) on
 * each, stop them. Prints the wall times. Needs root.
 *
 *   npx tsx bench/lab-start.ts [N=100] [concurrency=16]
 *
 * Addresses 127.77.x.y, clear of the lab environment and of the lab tests.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { Client } from 'ssh2';
import { startLab, stopLab } from '../scripts/lab/lab.ts';

const count = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 16);
const hosts = Array.from({ length: count }, (_, i) => ({ name: `bench-${i + 1}`, address: `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
const stateDir = mkdtempSync(join(tmpdir(), 'herd-bench-lab-'));

function hostname(address: string, user: string, privateKey: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec('hostname', (err, stream) => {
          if (err) return reject(err);
          let out = '';
          stream.on('data', (d: Buffer) => (out += d.toString()));
          stream.on('close', () => {
            client.end();
            resolve(out.trim());
          });
        });
      })
      .on('error', reject)
      .connect({ host: address, port: 22, username: user, privateKey, readyTimeout: 30_000, hostVerifier: () => true });
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
try {
  const t0 = Date.now();
  const lab = await startLab({ stateDir, hosts, concurrency, startTimeoutMs: 60_000 });
  const t1 = Date.now();
  const key = readFileSync(lab.keyFile);
  const limit = pLimit(50);
  const names = await Promise.all(lab.hosts.map((h) => limit(() => hostname(h.address, lab.user, key))));
  const t2 = Date.now();
  const wrong = names.filter((n, i) => n !== hosts[i]!.name);
  if (wrong.length > 0) throw new Error(`${wrong.length} hosts answered with the wrong hostname`);
  await stopLab(stateDir);
  const t3 = Date.now();
  process.stdout.write(
    `${count} lab hosts on ${cpus().length} CPUs (start concurrency ${concurrency}):\n` +
      `  start, every sshd answering: ${seconds(t1 - t0)}\n` +
      `  hostname over SSH on every host (ssh2, 50 at a time): ${seconds(t2 - t1)}\n` +
      `  start + hostname everywhere: ${seconds(t2 - t0)}\n` +
      `  stop: ${seconds(t3 - t2)}\n`,
  );
} catch (err) {
  await stopLab(stateDir);
  throw err;
}
