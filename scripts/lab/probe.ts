import { execFile } from 'node:child_process';
import { connect } from 'node:net';

/** What an SSH port does when knocked on. */
export type SshProbe = 'answering' | 'refused' | 'silent' | 'unreachable';

/**
 * Connects and waits for an SSH banner ("SSH-2.0-…"), without logging in.
 * With `netns` (a file under /run/netns), knocks from inside that network
 * namespace: the only way to see a host of the lab's isolated network.
 */
export function probeSsh(address: string, port = 22, timeoutMs = 1_000, netns?: string): Promise<SshProbe> {
  return netns === undefined ? probeHere(address, port, timeoutMs) : probeInNetns(netns, address, port, timeoutMs);
}

function probeHere(address: string, port: number, timeoutMs: number): Promise<SshProbe> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let received = '';
    const done = (result: SshProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(socket.readyState === 'open' ? 'silent' : 'unreachable'), timeoutMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.startsWith('SSH-')) done('answering');
      else if (received.length >= 4) done('unreachable');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
    socket.on('close', () => done(received.startsWith('SSH-') ? 'answering' : 'refused'));
  });
}

// bash's /dev/tcp: "open" once connected, then the first bytes the port sends.
const KNOCK = 'exec 3<>"/dev/tcp/$0/$1" || exit 3; echo open; head -c 4 <&3';

function probeInNetns(netns: string, address: string, port: number, timeoutMs: number): Promise<SshProbe> {
  return new Promise((resolve) => {
    execFile(
      'nsenter',
      [`--net=${netns}`, '--', '/bin/bash', '-c', KNOCK, address, String(port)],
      { timeout: timeoutMs, killSignal: 'SIGKILL', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } },
      (_err, stdout, stderr) => {
        const [opened, banner = ''] = stdout.split('\n');
        if (opened !== 'open') resolve(/refused/i.test(stderr) ? 'refused' : 'unreachable');
        else if (banner.startsWith('SSH-')) resolve('answering');
        else resolve(banner === '' ? 'silent' : 'unreachable');
      },
    );
  });
}

/** Waits until the port answers with an SSH banner, or throws after timeoutMs. */
export async function waitForSsh(address: string, timeoutMs: number, port = 22, netns?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: SshProbe = 'unreachable';
  while (Date.now() < deadline) {
    last = await probeSsh(address, port, Math.min(1_000, Math.max(50, deadline - Date.now())), netns);
    if (last === 'answering') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`sshd on ${address}:${port}${netns === undefined ? '' : ` (in ${netns})`} did not answer within ${timeoutMs} ms (last probe: ${last})`);
}
