// A lab bastion's front door: listens on ADDRESS:PORT in the machine's network
// and runs `ctl.sh sshd-inetd` for each connection, the connection as its
// stdin and stdout (like inetd), so that the sshd serving it lives in the lab's
// isolated network. Usage: bastion-gateway.mjs ADDRESS PORT PID_FILE CTL_SCRIPT
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

const [address, port, pidFile, ctl] = process.argv.slice(2);
// Not a byte may be read here: everything the client sends belongs to sshd.
const server = createServer({ pauseOnConnect: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  const child = spawn('/bin/bash', [ctl, 'sshd-inetd'], { stdio: [socket, socket, 'inherit'] });
  child.on('spawn', () => socket.destroy());
  child.on('error', (err) => {
    console.error(`bastion gateway: ${err.message}`);
    socket.destroy();
  });
});
server.listen(Number(port), address, () => writeFileSync(pidFile, `${process.pid}\n`));
// ctl.sh rekey signals sshd with SIGHUP to reload its key; each sshd here reads it afresh anyway.
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
