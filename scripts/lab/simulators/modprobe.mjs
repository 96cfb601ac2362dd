// Simulated modprobe: loads and removes modules of the lab host's simulated kernel.
import { parseArgs } from './lib/args.mjs';
import { KERNEL_RELEASE, KNOWN_MODULES, moduleClosure, readKernel, updateKernel } from './lib/kernel.mjs';
import { fail, simulate } from './lib/sim.mjs';

const SPEC = {
  remove: { type: 'boolean', short: 'r' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  all: { type: 'boolean', short: 'a' },
  'dry-run': { type: 'boolean', short: 'n' },
  'show-depends': { type: 'boolean', short: 'D' },
  'first-time': { type: 'boolean' },
};

await simulate('modprobe', (ctx) => {
  const { flags, positionals } = parseArgs(ctx.argv, SPEC, {
    onUnknown: (flag) => fail(1, `modprobe: unrecognized option '${flag}'`),
  });
  if (positionals.length === 0) fail(1, 'modprobe: ERROR: missing parameters. See -h.');
  // Without -a, the words after the module name are module parameters.
  const names = (flags.all || flags.remove ? positionals : positionals.slice(0, 1)).map((n) => n.replaceAll('-', '_'));
  for (const name of names) {
    if (!KNOWN_MODULES.has(name)) {
      if (flags.quiet && !flags.remove) fail(1);
      fail(1, flags.remove ? `modprobe: FATAL: Module ${name} not found.` : `modprobe: FATAL: Module ${name} not found in directory /lib/modules/${KERNEL_RELEASE}`);
    }
  }
  if (flags['show-depends']) {
    for (const name of names) for (const m of moduleClosure(name)) ctx.out(`insmod /lib/modules/${KERNEL_RELEASE}/kernel/${m}.ko\n`);
    return 0;
  }
  const loaded = readKernel().modules;
  if (flags['first-time']) {
    const already = names.find((n) => (flags.remove ? !loaded.includes(n) : loaded.includes(n)));
    if (already) fail(1, `modprobe: ERROR: could not ${flags.remove ? 'remove' : 'insert'} '${already}': Module ${flags.remove ? 'is not in kernel' : 'already in kernel'}`);
  }
  if (flags['dry-run']) return 0;
  if (!ctx.isRoot) {
    const missing = names.find((n) => (flags.remove ? loaded.includes(n) : !loaded.includes(n)));
    if (missing) fail(1, `modprobe: ERROR: could not ${flags.remove ? 'remove' : 'insert'} '${missing}': Operation not permitted`);
    return 0;
  }
  const { changed } = updateKernel((state) => {
    for (const name of names) {
      if (flags.remove) state.modules = state.modules.filter((m) => m !== name);
      else for (const m of moduleClosure(name)) if (!state.modules.includes(m)) state.modules.push(m);
    }
  });
  if (changed) ctx.mutated();
  return 0;
});
