import { spawn } from 'node:child_process';
import type { Environment } from '../../../stacks/environment/load.ts';
import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import type { EnvironmentCredentials } from '../connect-hosts.ts';
import type { Reporter } from '../report.ts';
import { awaitNewMachine } from './await-machine.ts';
import type { MachineReplacer } from './machines.ts';
import type { RollRecord } from './progress.ts';

export interface ReimageOptions {
  /**
   * Run per node once it is out of the cluster (sh -c, in this directory, with
   * HERD_ENV, HERD_NODE, HERD_NODE_ADDRESS, HERD_NODE_ROLE, HERD_NODE_POOL set):
   * the operator's own re-imaging. Without it, herd asks the operator and waits.
   */
  readonly command?: string;
  /** How long re-imaging one host may take, the command included, until it answers SSH. */
  readonly timeoutSeconds: number;
}

/** Seconds a re-image command is given to stop after SIGTERM before it is killed. */
const KILL_AFTER_MS = 10_000;

/**
 * Static hosts: herd cannot make a machine, so a host is re-imaged under its
 * name and address (an empty disk, a new host key) by a command the operator
 * names, or by the operator while herd waits for the new host key.
 */
export class ReimageHosts implements MachineReplacer {
  constructor(
    private readonly env: Environment,
    private readonly credentials: EnvironmentCredentials,
    private readonly reporter: Reporter,
    private readonly options: ReimageOptions,
  ) {}

  describe(batch: readonly ClusterNode[]): string[] {
    const { command } = this.options;
    return batch.map((n) =>
      command === undefined
        ? `${n.name}: wait up to ${this.options.timeoutSeconds} s for the operator to re-image ${n.address} (it answers with a new host key)`
        : `${n.name}: run the re-image command with HERD_NODE=${n.name} HERD_NODE_ADDRESS=${n.address}, then wait for it to answer over SSH`,
    );
  }

  async prepare(): Promise<void> {}

  async replace(batch: readonly ClusterNode[], record: RollRecord): Promise<void> {
    await Promise.all(batch.map((node) => this.one(node, record.node(node.name).oldHostKeys ?? [])));
  }

  private async one(node: ClusterNode, oldKeys: readonly string[]): Promise<void> {
    const { command, timeoutSeconds } = this.options;
    const started = Date.now();
    if (command !== undefined) {
      // A run that stopped after the re-image (and before it recorded it) finds the new machine there already.
      if (oldKeys.length > 0 && (await this.answersAsNew(node, oldKeys))) return;
      await this.runCommand(command, node, timeoutSeconds);
      await awaitNewMachine(this.env, node, this.credentials, this.reporter, { timeoutSeconds: remaining(started, timeoutSeconds) });
      return;
    }
    this.reporter.info(node.name, `waiting up to ${timeoutSeconds} s for ${node.name} (${node.address}) to answer with a new host key: re-image it now under the same name and address, if that is not done yet`);
    await awaitNewMachine(this.env, node, this.credentials, this.reporter, { refuseKeys: oldKeys, timeoutSeconds });
  }

  private async answersAsNew(node: ClusterNode, oldKeys: readonly string[]): Promise<boolean> {
    try {
      await awaitNewMachine(this.env, node, this.credentials, this.reporter, { refuseKeys: oldKeys, timeoutSeconds: 0 });
      this.reporter.info(node.name, 'already re-imaged: it answers with a new host key');
      return true;
    } catch {
      return false;
    }
  }

  private runCommand(command: string, node: ClusterNode, timeoutSeconds: number): Promise<void> {
    this.reporter.info(node.name, `re-imaging: ${command}`);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HERD_ENV: this.env.name, HERD_NODE: node.name, HERD_NODE_ADDRESS: node.address, HERD_NODE_ROLE: node.role, HERD_NODE_POOL: node.pool },
      });
      const lines = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.reporter.info(node.name, `re-image: ${line}`);
      };
      child.stdout.on('data', lines);
      child.stderr.on('data', lines);
      // The command and whatever it started, as one process group.
      const stop = (signal: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stop('SIGTERM');
        setTimeout(() => stop('SIGKILL'), KILL_AFTER_MS).unref();
      }, timeoutSeconds * 1000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`${node.name}: cannot run the re-image command: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        const how = timedOut ? `did not finish within ${timeoutSeconds} s and was stopped` : signal !== null ? `was killed by ${signal}` : `failed with exit code ${code}`;
        reject(new Error(`${node.name}: the re-image command ${how}. ${node.name} is out of the cluster; fix the cause and run the same herd command again to carry on.`));
      });
    });
  }
}

const remaining = (started: number, seconds: number): number => Math.max(1, Math.ceil(seconds - (Date.now() - started) / 1000));
