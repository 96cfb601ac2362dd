import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment } from '../../../stacks/environment/load.ts';
import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import { fingerprint } from '../../ssh/host-key-trust.ts';
import { forget, knownHostsPath, lookup } from '../../ssh/known-hosts.ts';
import { HostKeyRefusedError } from '../../ssh/session.ts';
import { ConnectFailedError, connectAll, type EnvironmentCredentials } from '../connect-hosts.ts';
import type { Reporter } from '../report.ts';

const POLL_MS = 2_000;
const STILL_THE_OLD_MACHINE = 'still the machine that left (its host key did not change)';

/** The SHA256 fingerprints of the keys known_hosts records for a node: what the machine that leaves offers. */
export function recordedHostKeys(env: Environment, node: ClusterNode): string[] {
  return lookup(knownHostsPath(env), node.address, env.spec.ssh.port).map((k) => fingerprint(k.key));
}

export interface AwaitMachineOptions {
  /** Keys of the machine that left: refused, so that only a re-imaged host counts (herd waits for the operator). */
  readonly refuseKeys?: readonly string[];
  readonly timeoutSeconds: number;
}

/**
 * Waits until the node's new machine answers over SSH and accepts the login,
 * then records its host key. The old entry is dropped first: the machine was
 * replaced on purpose. With `refuseKeys`, the old machine answering (not yet
 * re-imaged) is waited out like a machine that does not answer yet.
 */
export async function awaitNewMachine(env: Environment, node: ClusterNode, credentials: EnvironmentCredentials, reporter: Reporter, options: AwaitMachineOptions): Promise<void> {
  await forget(knownHostsPath(env), [node.address, node.name], env.spec.ssh.port);
  const refused = new Set(options.refuseKeys ?? []);
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let last = '';
  for (;;) {
    try {
      const { close } = await connectAll(env, [node], credentials, {
        limit: pLimit(1),
        onFirstContact: (name, fp) => reporter.info(name, `the new machine answers: recorded its host key ${fp}`),
        screenHostKey: (blob) => (refused.has(fingerprint(blob.toString('base64'))) ? STILL_THE_OLD_MACHINE : undefined),
      });
      close();
      return;
    } catch (err) {
      const failure = err instanceof ConnectFailedError ? err.failures[0] : err;
      if (failure instanceof HostKeyRefusedError && !failure.message.includes(STILL_THE_OLD_MACHINE)) throw failure;
      const why = failure instanceof Error ? failure.message : String(failure);
      if (Date.now() + POLL_MS > deadline) {
        throw new Error(`${node.name} (${node.address}) did not come back as a new machine within ${options.timeoutSeconds} s: ${why}. It is out of the cluster; once it answers, run the same command again to carry on.`);
      }
      // Said once per kind of wait (the old machine still answers, or nothing does), not every poll.
      const kind = failure instanceof HostKeyRefusedError ? 'old' : 'silent';
      if (kind !== last) reporter.info(node.name, `waiting for the new machine: ${why}`);
      last = kind;
      await sleep(POLL_MS);
    }
  }
}
