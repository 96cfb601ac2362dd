// Simulated swapoff: turns off the lab host's simulated swap areas.
// A lab host boots with none active (like this machine's kernel, which
// `swapon --show` and /proc/swaps, both real, report); a test can give it
// some by writing {"swap": [...]} into the simulated kernel state.
import { existsSync } from 'node:fs';
import { parseArgs } from './lib/args.mjs';
import { readKernel, updateKernel } from './lib/kernel.mjs';
import { fail, simulate } from './lib/sim.mjs';

const SPEC = {
  all: { type: 'boolean', short: 'a' },
  verbose: { type: 'boolean', short: 'v' },
};

await simulate('swapoff', (ctx) => {
  const { flags, positionals } = parseArgs(ctx.argv, SPEC, {
    onUnknown: (flag) => fail(1, `swapoff: unrecognized option '${flag}'\nTry 'swapoff --help' for more information.`),
  });
  if (!flags.all && positionals.length === 0) fail(2, 'swapoff: bad usage\nTry \'swapoff --help\' for more information.');
  const active = readKernel().swap;
  const targets = flags.all ? active : positionals;
  if (targets.length === 0) return 0;
  if (!ctx.isRoot) fail(16, 'swapoff: Not superuser.');
  let code = 0;
  const off = [];
  for (const target of targets) {
    if (active.includes(target)) {
      off.push(target);
      if (flags.verbose) ctx.out(`swapoff ${target}\n`);
    } else {
      ctx.err(`swapoff: ${target}: swapoff failed: ${existsSync(target) ? 'Invalid argument' : 'No such file or directory'}\n`);
      code = 4;
    }
  }
  const { changed } = updateKernel((state) => {
    state.swap = state.swap.filter((s) => !off.includes(s));
  });
  if (changed) ctx.mutated();
  return code;
});
