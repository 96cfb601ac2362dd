import { Command } from 'commander';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { loadEnvironmentByName } from '../../../stacks/environment/load.ts';
import { computeCluster } from '../../../stacks/topology/topology.ts';
import { ADMIN_KUBECONFIG } from '../../../templates/paths.ts';
import { connectAll, sshCredentials } from '../../provisioner/connect-hosts.ts';
import { environmentStateDir } from '../../../stacks/project.ts';
import { environmentsDir } from '../environments.ts';
import { unsafeTarget, writePrivateFile } from '../../system/private-file.ts';
import { RefusedError } from '../../provisioner/refused.ts';

export function kubeconfigCommand(): Command {
  return new Command('kubeconfig')
    .description("fetch the cluster's admin kubeconfig from a control plane over SSH into a 0600 file")
    .argument('<env>', 'environment name')
    .option('--out <file>', 'where to write it (default: .herd/<env>/admin.conf)')
    .action(async (envName: string, opts: { out?: string }, command: Command) => {
      const env = loadEnvironmentByName(envName, environmentsDir(command));
      const cluster = computeCluster(env);
      const out = resolve(opts.out ?? join(environmentStateDir(envName), 'admin.conf'));
      const unsafe = unsafeTarget(out);
      if (unsafe !== undefined) throw new RefusedError(`${unsafe}. Remove it, or give another --out.`);
      const credentials = sshCredentials(env);
      const errors: string[] = [];
      // Any control plane will do: the first may be down or already removed.
      for (const cp of cluster.controlPlanes) {
        try {
          const { sessions, close } = await connectAll(env, [cp], credentials, { limit: pLimit(1), onFirstContact: () => undefined });
          try {
            const result = await sessions.get(cp.name)!.exec(`sudo -n cat ${ADMIN_KUBECONFIG}`, { timeoutMs: 30_000 });
            if (result.code !== 0) throw new Error(`${cp.name}: cannot read ${ADMIN_KUBECONFIG}: ${result.stderr.trim()}`);
            writePrivateFile(out, result.stdout);
            process.stdout.write(`wrote ${out} (from ${cp.name}); use it with: export KUBECONFIG=${out}\n`);
            return;
          } finally {
            close();
          }
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }
      throw new Error(`no control plane gave its kubeconfig:\n${errors.join('\n')}`);
    });
}
