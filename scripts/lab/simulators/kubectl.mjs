// Simulated kubectl: talks to the lab's shared simulated cluster, with the
// real kubectl's kubeconfig rules (--kubeconfig, $KUBECONFIG, ~/.kube/config)
// and its output formats.
import { GLOBAL_FLAGS } from './lib/kubectl-common.mjs';
import { get } from './lib/kubectl-get.mjs';
import { del, write } from './lib/kubectl-apply.mjs';
import { cordon, labelOrAnnotate, patch, taint } from './lib/kubectl-nodes.mjs';
import { apiResources, clusterInfo, config, exec, rollout, version, wait } from './lib/kubectl-misc.mjs';
import { installed, readStatus } from './lib/dpkg.mjs';
import { fail, simulate } from './lib/sim.mjs';
import { newestKubernetes } from './lib/versions.mjs';

/** Finds the subcommand: the first argument that is neither a global flag nor a global flag's value. */
function splitCommand(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      const long = arg.startsWith('--') ? arg.slice(2).split('=')[0] : undefined;
      const def = long ? GLOBAL_FLAGS[long] : Object.values(GLOBAL_FLAGS).find((d) => d.short === arg[1]);
      if (def?.type === 'string' && !arg.includes('=') && (long !== undefined || arg.length === 2)) i++;
      continue;
    }
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: argv };
}

await simulate(
  'kubectl',
  (ctx) => {
    const { command, rest } = splitCommand(ctx.argv);
    const pkg = installed(readStatus(), 'kubectl');
    ctx.clientVersion = pkg ? `v${pkg.version.replace(/-.*$/, '')}` : `v${newestKubernetes()}`;
    switch (command) {
      case 'get':
        return get(ctx, rest);
      case 'apply':
      case 'create':
      case 'replace':
        return write(ctx, command, rest);
      case 'delete':
        return del(ctx, rest);
      case 'cordon':
      case 'uncordon':
      case 'drain':
        return cordon(ctx, command, rest);
      case 'label':
      case 'annotate':
        return labelOrAnnotate(ctx, command, rest);
      case 'taint':
        return taint(ctx, rest);
      case 'patch':
        return patch(ctx, rest);
      case 'wait':
        return wait(ctx, rest);
      case 'rollout':
        return rollout(ctx, rest);
      case 'exec':
        return exec(ctx, rest);
      case 'version':
        return version(ctx, rest);
      case 'cluster-info':
        return clusterInfo(ctx, rest);
      case 'config':
        return config(ctx, rest);
      case 'api-resources':
        return apiResources(ctx, rest);
      case undefined:
        fail(0, 'kubectl controls the Kubernetes cluster manager.\n\n (herd lab simulator: see scripts/lab/simulators/kubectl.mjs for the commands it supports)');
        break;
      default:
        fail(1, `error: unknown command "${command}" for "kubectl"\nRun 'kubectl --help' for usage.`);
    }
    return 0;
  },
  { keyValue: ['--from-literal'] },
);
