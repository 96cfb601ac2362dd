// Simulated systemctl (systemd 252): enables units with real symlinks and
// starts or stops them in the lab host's simulated service manager.
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { fail, simulate } from './lib/sim.mjs';
import {
  activeState,
  canonicalUnit,
  enablement,
  enablementLinks,
  isMasked,
  readUnits,
  reportKubelet,
  startFailure,
  startUnit,
  stopUnit,
  unitFile,
  updateUnits,
} from './lib/units.mjs';

const SPEC = {
  now: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'no-pager': { type: 'boolean' },
  'no-block': { type: 'boolean' },
  'no-legend': { type: 'boolean' },
  'no-ask-password': { type: 'boolean' },
  system: { type: 'boolean' },
  full: { type: 'boolean', short: 'l' },
  plain: { type: 'boolean' },
  all: { type: 'boolean', short: 'a' },
  value: { type: 'boolean' },
  property: { type: 'string', short: 'p', multiple: true },
  type: { type: 'string', short: 't' },
  state: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
};

const AUTH = 'Interactive authentication required.';

await simulate('systemctl', (ctx) => {
  const { flags, positionals } = parseArgs(ctx.argv, SPEC, {
    onUnknown: (flag) => fail(1, `systemctl: unrecognized option '${flag}'`),
  });
  const [verb = 'list-units', ...args] = positionals;
  const units = args.map(canonicalUnit);
  const host = ctx.host;
  const needUnits = () => {
    if (units.length === 0) fail(1, `Too few arguments.`);
  };
  // The kubelet's state follows its runtime's: both report to the cluster.
  const kubeletTouched = () => units.includes('kubelet.service') || units.includes('containerd.service');

  const changeRuntime = (action, verbName) => {
    needUnits();
    for (const unit of units) {
      if (isMasked(unit)) fail(1, `Failed to ${verbName} ${unit}: Unit ${unit} is masked.`);
      if (!unitFile(unit)) fail(5, action === 'stop' ? `Failed to stop ${unit}: Unit ${unit} not loaded.` : `Failed to ${verbName} ${unit}: Unit ${unit} not found.`);
    }
    if (!ctx.isRoot) fail(1, `Failed to ${verbName} ${units.join(' ')}: ${AUTH}\nSee system logs and 'systemctl status ${units.join(' ')}' for details.`);
    const { result: state, changed } = updateUnits((state) => {
      for (const unit of units) {
        const running = state[unit]?.active === true;
        if (action === 'start' && !running) startUnit(state, unit);
        if (action === 'stop') stopUnit(state, unit);
        if (action === 'restart') startUnit(state, unit);
        if (action === 'try-restart' && running) startUnit(state, unit);
      }
      return state;
    });
    // A restart is a change even when it restarts into the same state.
    if (changed || ((action === 'restart' || action === 'reload') && units.length > 0)) ctx.mutated();
    if (kubeletTouched()) reportKubelet(host, state);
    if (action !== 'stop') {
      const failed = units.map((unit) => startFailure(state, unit)).find((m) => m !== undefined);
      if (failed !== undefined) fail(1, failed);
    }
  };

  const changeEnablement = (enable) => {
    needUnits();
    if (!ctx.isRoot) fail(1, `Failed to ${enable ? 'enable' : 'disable'} unit: ${AUTH}`);
    for (const unit of units) {
      if (isMasked(unit) && enable) fail(1, `Failed to enable unit: Unit file /etc/systemd/system/${unit} is masked.`);
      const path = unitFile(unit);
      if (!path) fail(1, `Failed to ${enable ? 'enable' : 'disable'} unit: Unit file ${unit} does not exist.`);
      const links = enablementLinks(unit, path);
      if (links.length === 0 && !flags.quiet) {
        ctx.err(
          'The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the [Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be enabled or disabled using systemctl.\n',
        );
      }
      for (const { link, target } of links) {
        const present = existsSync(link);
        if (enable && !present) {
          mkdirSync(dirname(link), { recursive: true });
          rmSync(link, { force: true });
          symlinkSync(target, link);
          ctx.mutated();
          if (!flags.quiet) ctx.err(`Created symlink ${link} → ${target}.\n`);
        }
        if (!enable && present) {
          rmSync(link, { force: true });
          ctx.mutated();
          if (!flags.quiet) ctx.err(`Removed "${link}".\n`);
        }
      }
    }
    if (flags.now) changeRuntime(enable ? 'start' : 'stop', enable ? 'start' : 'stop');
  };

  switch (verb) {
    case 'start':
    case 'stop':
    case 'restart':
    case 'try-restart':
      changeRuntime(verb, verb);
      return 0;
    case 'reload':
    case 'reload-or-restart':
    case 'try-reload-or-restart':
      changeRuntime(verb === 'reload' ? 'reload' : 'restart', 'reload');
      return 0;
    case 'enable':
      changeEnablement(true);
      return 0;
    case 'disable':
      changeEnablement(false);
      return 0;
    case 'mask':
    case 'unmask': {
      needUnits();
      if (!ctx.isRoot) fail(1, `Failed to ${verb} unit: ${AUTH}`);
      for (const unit of units) {
        const link = `/etc/systemd/system/${unit}`;
        if (verb === 'mask' && !isMasked(unit)) {
          rmSync(link, { force: true });
          symlinkSync('/dev/null', link);
          ctx.mutated();
          ctx.err(`Created symlink ${link} → /dev/null.\n`);
        }
        if (verb === 'unmask' && isMasked(unit)) {
          rmSync(link, { force: true });
          ctx.mutated();
          ctx.err(`Removed "${link}".\n`);
        }
      }
      return 0;
    }
    case 'daemon-reload':
    case 'daemon-reexec':
    case 'reset-failed':
      if (!ctx.isRoot) fail(1, `Failed to reload daemon: ${AUTH}`);
      return 0;
    case 'is-active':
    case 'is-failed': {
      needUnits();
      const state = readUnits();
      let allMatch = true;
      for (const unit of units) {
        const { active } = activeState(state, unit);
        if (verb === 'is-active' ? active !== 'active' : active !== 'failed') allMatch = false;
        if (!flags.quiet) ctx.out(`${active}\n`);
      }
      return allMatch ? 0 : verb === 'is-active' ? 3 : 1;
    }
    case 'is-enabled': {
      needUnits();
      let all = true;
      for (const unit of units) {
        const state = enablement(unit);
        if (state === 'not-found') fail(1, `Failed to get unit file state for ${unit}: No such file or directory`);
        if (state !== 'enabled' && state !== 'static') all = false;
        if (!flags.quiet) ctx.out(`${state}\n`);
      }
      return all ? 0 : 1;
    }
    case 'status': {
      needUnits();
      const state = readUnits();
      let code = 0;
      for (const unit of units) {
        const path = unitFile(unit);
        if (!path) {
          ctx.err(`Unit ${unit} could not be found.\n`);
          code = 4;
          continue;
        }
        const { active, sub } = activeState(state, unit);
        const since = state[unit]?.since ?? new Date().toISOString();
        ctx.out(
          `${active === 'active' ? '●' : active === 'failed' ? '×' : '○'} ${unit}\n` +
            `     Loaded: loaded (${path}; ${enablement(unit)}; preset: enabled)\n` +
            `     Active: ${active} (${sub})${active === 'inactive' ? '' : ` since ${since}`}\n` +
            (state[unit]?.error ? `\n${state[unit].error}\n` : ''),
        );
        if (active !== 'active' && code === 0) code = 3;
      }
      return code;
    }
    case 'show': {
      needUnits();
      const state = readUnits();
      const wanted = (flags.property ?? []).flatMap((p) => p.split(','));
      for (const unit of units) {
        const { active, sub } = activeState(state, unit);
        const path = unitFile(unit);
        const props = {
          Id: unit,
          LoadState: path ? 'loaded' : isMasked(unit) ? 'masked' : 'not-found',
          ActiveState: active,
          SubState: sub,
          UnitFileState: path ? enablement(unit) : '',
          FragmentPath: path ?? '',
          MainPID: '0',
        };
        for (const key of wanted.length > 0 ? wanted : Object.keys(props)) {
          const value = props[key] ?? '';
          ctx.out(flags.value ? `${value}\n` : `${key}=${value}\n`);
        }
      }
      return 0;
    }
    case 'list-units': {
      const state = readUnits();
      for (const [unit, record] of Object.entries(state)) {
        if (!record.active) continue;
        const { active, sub } = activeState(state, unit);
        ctx.out(`${unit} loaded ${active} ${sub}\n`);
      }
      return 0;
    }
    default:
      fail(1, `Unknown command verb '${verb}'.`);
  }
  return 0;
});
