import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from 'shell-quote';
import { Client, type ClientChannel } from 'ssh2';
import type { IsolatedNetwork, Lab } from '../../scripts/lab/lab.ts';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tempStateDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `herd-${prefix}-`));
}

/** Connects to a lab host over real SSH; records the host key it was offered. */
export function connect(lab: Lab, host: string, options: { readyTimeout?: number } = {}): Promise<Client & { hostKey?: Buffer }> {
  const h = lab.host(host);
  return new Promise((resolve, reject) => {
    const client = new Client() as Client & { hostKey?: Buffer };
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({
        host: h.address,
        port: h.port,
        username: lab.user,
        privateKey: readFileSync(lab.keyFile),
        readyTimeout: options.readyTimeout ?? 10_000,
        hostVerifier: (key: Buffer) => {
          client.hostKey = key;
          return true;
        },
      });
  });
}

export function exec(client: Client, command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) {
        reject(err);
        return;
      }
      let stdout = '';
      let stderr = '';
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              stream.close();
              resolve({ code: null, stdout, stderr });
            }, options.timeoutMs);
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('close', (code: number | null) => {
        if (timer) clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      stream.end(options.stdin ?? '');
    });
  });
}

/** One reused connection per host, like the provisioner. */
export class Sessions {
  readonly #lab: Lab;
  readonly #clients = new Map<string, Promise<Client>>();

  constructor(lab: Lab) {
    this.#lab = lab;
  }

  async run(host: string, command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    let client = this.#clients.get(host);
    if (!client) {
      client = connect(this.#lab, host);
      this.#clients.set(host, client);
    }
    return exec(await client, command, options);
  }

  /** Runs as root through sudo; fails the test with the output when the exit code is not 0. */
  async sudo(host: string, command: string, options: { stdin?: string } = {}): Promise<string> {
    const result = await this.run(host, `sudo bash -c ${quote([command])}`, options);
    if (result.code !== 0) throw new Error(`${host}: ${command} exited ${result.code}\n${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  close(): void {
    for (const client of this.#clients.values()) void client.then((c) => c.end(), () => undefined);
    this.#clients.clear();
  }
}

/** Runs a bash script in a lab network namespace (a host's, a router's) from this machine; its stdout, or throws with its stderr. */
export function inNetns(ns: IsolatedNetwork, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nsenter', [`--net=${ns.file}`, '--', 'bash', '-c', script], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script} in ${ns.name}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
  });
}

/** Polls `check` every 200 ms until it returns true; throws naming `what` after timeoutMs. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** ssh2 through the bastion: one connection to it, a forwarded channel per host. */
export async function throughBastion(lab: Lab, bastion: Client, host: string): Promise<Client> {
  const target = lab.host(host);
  const sock = await new Promise<ClientChannel>((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, target.address, 22, (err, channel) => (err ? reject(err) : resolve(channel)));
  });
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => resolve(client))
      .on('error', reject)
      .connect({ sock, username: lab.user, privateKey: readFileSync(lab.keyFile), readyTimeout: 10_000, hostVerifier: () => true });
  });
}

