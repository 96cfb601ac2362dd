import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startRelay } from '../../scripts/lab/latency-relay.mjs';

// The lab's latency knob, against plain TCP servers on loopback (no lab host):
// what it delays, that it keeps every byte in order, and that a half-closed
// connection passes through. The delays checked are lower bounds: a busy
// machine makes them longer, never shorter.

const ADDRESS = '127.94.0.1';
const TARGET = 2401;
const PORT = 2402;
const RTT = 200;

let server: Server;
let close: () => Promise<void>;

/** The first chunk a socket receives, and when. */
const firstData = (socket: Socket): Promise<{ at: number; data: string }> =>
  new Promise((resolve) => socket.once('data', (d: Buffer) => resolve({ at: performance.now(), data: d.toString() })));

beforeAll(async () => {
  // Greets like sshd (first, unasked), echoes, and on the client's end of input answers "bye" and closes.
  server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.write('banner\n');
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end('bye\n'));
  });
  await new Promise<void>((resolve) => server.listen(TARGET, ADDRESS, resolve));
  close = await startRelay({ rttMs: RTT, port: PORT, targetPort: TARGET, addresses: [ADDRESS] });
});

afterAll(async () => {
  await close?.();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the lab latency relay', () => {
  it('holds a new connection for a round trip (TCP), then every chunk for half of one each way', async () => {
    const started = performance.now();
    const socket = createConnection({ host: ADDRESS, port: PORT });
    const banner = await firstData(socket);
    expect(banner.data).toBe('banner\n');
    expect(banner.at - started).toBeGreaterThanOrEqual(RTT * 1.5 - 5);
    const sent = performance.now();
    socket.write('ping\n');
    const echo = await firstData(socket);
    expect(echo.data).toBe('ping\n');
    expect(echo.at - sent).toBeGreaterThanOrEqual(RTT - 5);
    socket.destroy();
  });

  it('keeps every byte in order, and passes a half-close on', async () => {
    const socket = createConnection({ host: ADDRESS, port: PORT, allowHalfOpen: true });
    const payload = Buffer.alloc(1 << 20, 0).map((_, i) => i % 251);
    let received = Buffer.alloc(0);
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    for (let i = 0; i < payload.length; i += 4096) socket.write(payload.subarray(i, i + 4096));
    socket.end();
    await ended;
    expect(received.subarray(0, 7).toString()).toBe('banner\n');
    expect(received.subarray(7, 7 + payload.length).equals(payload)).toBe(true);
    expect(received.subarray(7 + payload.length).toString()).toBe('bye\n');
  });

  it('refuses to start on a port another relay holds', async () => {
    await expect(startRelay({ rttMs: RTT, port: PORT, targetPort: TARGET, addresses: [ADDRESS] })).rejects.toThrow(/EADDRINUSE/);
  });
});
