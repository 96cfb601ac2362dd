// A lab fault: accepts TCP connections on ADDRESS:PORT and never sends a byte,
// like a host whose sshd hangs before its banner. Usage: silent-listener.mjs ADDRESS PORT PID_FILE
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';

const [address, port, pidFile] = process.argv.slice(2);
const held = new Set();
const server = createServer((socket) => {
  held.add(socket);
  socket.on('error', () => held.delete(socket));
  socket.on('close', () => held.delete(socket));
});
server.listen(Number(port), address, () => writeFileSync(pidFile, `${process.pid}\n`));
process.on('SIGTERM', () => {
  for (const socket of held) socket.destroy();
  server.close(() => process.exit(0));
});
