import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from 'shell-quote';
import { Client } from 'ssh2';
import type { Lab } from '../../scripts/lab/lab.ts';

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
