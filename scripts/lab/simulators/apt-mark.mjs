// Simulated apt-mark: holds live in the lab host's real dpkg database
// (Status: hold ok installed), where dpkg-query and apt-get see them.
import { availablePackages } from './lib/apt.mjs';
import { field, readStatus, setParagraph, setWant, withDpkgLock, writeStatus } from './lib/dpkg.mjs';
import { fail, simulate } from './lib/sim.mjs';

await simulate('apt-mark', (ctx) => {
  const args = ctx.argv.filter((a) => !a.startsWith('-'));
  const [verb, ...names] = args;
  if (!verb) fail(100, 'E: No command given. Try apt-mark --help.');
  const status = readStatus();
  const wantOf = (name) => (field(status.find((p) => p.name === name) ?? { fields: [] }, 'Status') ?? 'unknown').split(' ')[0];
  switch (verb) {
    case 'showhold':
    case 'showheld':
      for (const p of status.filter((q) => wantOf(q.name) === 'hold').map((q) => q.name).sort()) ctx.out(`${p}\n`);
      return 0;
    case 'hold':
    case 'unhold': {
      if (names.length === 0) fail(100, 'E: No packages found');
      const available = availablePackages();
      for (const name of names) {
        if (!status.some((p) => p.name === name) && !available.has(name)) fail(100, `E: Unable to locate package ${name}`);
      }
      if (!ctx.isRoot) fail(100, 'dpkg: error: requested operation requires superuser privilege\nE: Executing dpkg failed. Are you root?');
      return withDpkgLock(() => {
        const fresh = readStatus();
        let changed = false;
        for (const name of names) {
          const hold = verb === 'hold';
          if ((wantOf(name) === 'hold') === hold) {
            ctx.out(hold ? `${name} was already set on hold.\n` : `${name} was already not on hold.\n`);
            continue;
          }
          if (!fresh.some((p) => p.name === name)) {
            setParagraph(fresh, name, [['Package', name], ['Status', 'hold ok not-installed'], ['Architecture', 'amd64']]);
          } else setWant(fresh, name, hold ? 'hold' : 'install');
          changed = true;
          ctx.out(hold ? `${name} set on hold.\n` : `Canceled hold on ${name}.\n`);
        }
        if (changed) {
          writeStatus(fresh);
          ctx.mutated();
        }
        return 0;
      });
    }
    case 'showmanual':
    case 'showinstall':
      for (const p of status.filter((q) => (field(q, 'Status') ?? '').endsWith(' installed')).map((q) => q.name).sort()) ctx.out(`${p}\n`);
      return 0;
    case 'showauto':
      return 0;
    case 'manual':
    case 'auto':
      if (!ctx.isRoot) fail(100, 'E: Could not create temporary file for /var/lib/apt/extended_states - mkstemp (13: Permission denied)');
      for (const name of names) ctx.out(`${name} set to ${verb === 'manual' ? 'manually' : 'automatically'} installed.\n`);
      return 0;
    default:
      fail(100, `E: Invalid operation ${verb}`);
  }
  return 0;
});
