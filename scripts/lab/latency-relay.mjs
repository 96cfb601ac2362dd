// A delay on the path to lab hosts, in user space (this kernel has no netem):
// a TCP relay that listens on each lab host's address at a port of its own
// and forwards to the host's sshd there, holding every chunk for half the
// round-trip time in each direction, and a new connection for one round trip
// before its first byte reaches the host (TCP's handshake). Benchmarks run
// herd, OpenSSH and Ansible through it at 10 and 50 ms.
//
// Usage: latency-relay.mjs RTT_MS PORT TARGET_PORT PID_FILE ADDRESS...
import { writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Relays `address:port` to `address:targetPort` for each address, `rttMs`
 * round trip. Resolves to a close function once every listener listens.
 */
export function startRelay({ rttMs, port, targetPort, addresses }) {
  const oneWay = rttMs / 2;
  const sockets = new Set();
  const later = (fn) => (oneWay > 0 ? setTimeout(fn, oneWay) : setImmediate(fn));
  const pipe = (from, to) => {
    // Equal delays keep the order: timers of one duration fire in the order they were set.
    from.on('data', (chunk) => later(() => to.destroyed || to.write(chunk)));
    from.on('end', () => later(() => to.destroyed || to.end()));
  };
  const servers = addresses.map((address) =>
    createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      const connect = () => {
        if (client.destroyed) return;
        const host = createConnection({ host: address, port: targetPort, allowHalfOpen: true });
        sockets.add(host);
        host.on('close', () => {
          sockets.delete(host);
          later(() => client.destroy());
        });
        host.on('error', () => host.destroy());
        client.on('close', () => later(() => host.destroy()));
        pipe(client, host);
        pipe(host, client);
        client.resume();
      };
      if (rttMs > 0) setTimeout(connect, rttMs);
      else connect();
    }),
  );
  return Promise.all(servers.map((server, i) => new Promise((resolve, reject) => server.once('error', reject).listen(port, addresses[i], resolve)))).then(
    () => () => {
      for (const s of sockets) s.destroy();
      return Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rtt, port, targetPort, pidFile, ...addresses] = process.argv.slice(2);
  const close = await startRelay({ rttMs: Number(rtt), port: Number(port), targetPort: Number(targetPort), addresses });
  writeFileSync(pidFile, `${process.pid}\n`);
  process.on('SIGTERM', () => close().then(() => process.exit(0)));
}
