import { connect } from 'node:net';

/** What an SSH port does when knocked on. */
export type SshProbe = 'answering' | 'refused' | 'silent' | 'unreachable';

/** Connects and waits for an SSH banner ("SSH-2.0-…"), without logging in. */
export function probeSsh(address: string, port = 22, timeoutMs = 1_000): Promise<SshProbe> {
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

/** Waits until the port answers with an SSH banner, or throws after timeoutMs. */
export async function waitForSsh(address: string, timeoutMs: number, port = 22): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: SshProbe = 'unreachable';
  while (Date.now() < deadline) {
    last = await probeSsh(address, port, Math.min(1_000, Math.max(50, deadline - Date.now())));
    if (last === 'answering') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`sshd on ${address}:${port} did not answer within ${timeoutMs} ms (last probe: ${last})`);
}
