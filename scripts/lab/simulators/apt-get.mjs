// Simulated apt-get (apt 2.6): installs and removes packages in the lab host's
// real dpkg database from the repositories lib/apt.mjs knows, with apt's
// checks where scripts trip: unknown packages and versions, unsigned
// repositories, held packages, downgrades, confirmation without -y.
import { parseArgs } from './lib/args.mjs';
import { availablePackages, classify, pickVersion, readIndex, readSources, REPOSITORY_KEYS, signatureVerifies, sourceId, writeIndex } from './lib/apt.mjs';
import { compareVersions, installed, readStatus, removeParagraph, setParagraph, setWant, withDpkgLock, writeStatus } from './lib/dpkg.mjs';
import { hasConffiles, packageServices, removeFiles, statusFields, unpack } from './lib/packages.mjs';
import { fail, simulate } from './lib/sim.mjs';
import { enablementLinks, reportKubelet, startUnit, stopUnit, unitFile, updateUnits } from './lib/units.mjs';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

const SPEC = {
  yes: { type: 'boolean', short: 'y' },
  'assume-yes': { type: 'boolean' },
  'assume-no': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q', multiple: true },
  option: { type: 'string', short: 'o', multiple: true },
  'no-install-recommends': { type: 'boolean' },
  'install-recommends': { type: 'boolean' },
  'no-install-suggests': { type: 'boolean' },
  'allow-change-held-packages': { type: 'boolean' },
  'allow-downgrades': { type: 'boolean' },
  'allow-unauthenticated': { type: 'boolean' },
  'allow-releaseinfo-change': { type: 'boolean' },
  reinstall: { type: 'boolean' },
  purge: { type: 'boolean' },
  simulate: { type: 'boolean', short: 's' },
  'dry-run': { type: 'boolean' },
  'download-only': { type: 'boolean', short: 'd' },
  'fix-broken': { type: 'boolean', short: 'f' },
  'fix-missing': { type: 'boolean', short: 'm' },
  'auto-remove': { type: 'boolean' },
  autoremove: { type: 'boolean' },
  'only-upgrade': { type: 'boolean' },
  'no-upgrade': { type: 'boolean' },
  'target-release': { type: 'string', short: 't' },
  'verbose-versions': { type: 'boolean', short: 'V' },
  'show-progress': { type: 'boolean' },
  'no-show-upgraded': { type: 'boolean' },
};

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

const LOCK_ERROR =
  'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?';

await simulate('apt-get', (ctx) => {
  const { flags, positionals } = parseArgs(ctx.argv, SPEC, {
    onUnknown: (flag) => fail(100, `E: Command line option '${flag.replace(/^-+/, '')}' [from ${flag}] is not understood in combination with the other options.`),
  });
  const quiet = (flags.quiet ?? []).length;
  const say = (line) => {
    if (quiet < 2) ctx.out(`${line}\n`);
  };
  const progress = (line) => {
    if (quiet < 1) ctx.out(`${line}\n`);
  };
  const [verb, ...args] = positionals;
  if (!verb) fail(100, 'E: No command given. Try apt-get --help.');
  const assumeYes = flags.yes || flags['assume-yes'];
  const dryRun = flags.simulate || flags['dry-run'];

  const readingLists = () => {
    say('Reading package lists...');
    say('Building dependency tree...');
    say('Reading state information...');
  };

  const confirm = () => {
    if (assumeYes) return;
    ctx.out('Do you want to continue? [Y/n] ');
    const answer = flags['assume-no'] ? 'n' : ctx.readStdin();
    if (answer === '' || !/^\s*[yY]?\s*$/.test(answer.split('\n')[0] ?? '')) fail(1, 'Abort.');
  };

  switch (verb) {
    case 'update': {
      if (!ctx.isRoot) fail(100, 'E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/');
      const updated = [];
      const errors = [];
      let n = 0;
      for (const source of readSources()) {
        n += 1;
        const where = `${source.uri.replace(/\/$/, '')} ${source.suite === '/' ? '' : source.suite} InRelease`.replace('  ', '  ');
        const kind = classify(source.uri, source.suite);
        if (!kind) {
          say(`Ign:${n} ${where}`);
          say(`Err:${n} ${source.uri} ${source.suite} Release\n  404  Not Found`);
          errors.push(`E: The repository '${source.uri} ${source.suite} Release' does not have a Release file.`);
          continue;
        }
        if (kind.kind === 'distribution') {
          say(`Hit:${n} ${where}`);
          continue;
        }
        say(`Get:${n} ${where} [1,186 B]`);
        if (!signatureVerifies(source, kind.kind)) {
          const why = `The following signatures couldn't be verified because the public key is not available: NO_PUBKEY ${REPOSITORY_KEYS[kind.kind].keyId}`;
          say(`Err:${n} ${where}\n  ${why}`);
          errors.push(`W: GPG error: ${where}: ${why}`, `E: The repository '${where}' is not signed.`);
          continue;
        }
        updated.push(sourceId(source));
      }
      progress('Reading package lists...');
      const index = readIndex();
      const next = [...new Set(updated)].sort();
      if (JSON.stringify(index.updated) !== JSON.stringify(next)) {
        writeIndex({ updated: next });
        ctx.mutated();
      }
      if (errors.length > 0) {
        ctx.err(`${errors.join('\n')}\nN: Updating from such a repository can't be done securely, and is therefore disabled by default.\nN: See apt-secure(8) manpage for repository creation and user configuration details.\n`);
        return 100;
      }
      return 0;
    }
    case 'install':
    case 'reinstall':
    case 'upgrade':
    case 'dist-upgrade':
    case 'full-upgrade':
      if (!ctx.isRoot && !dryRun) fail(100, LOCK_ERROR);
      return withDpkgLock(() => install(ctx, verb, args, { flags, say, progress, readingLists, confirm, dryRun }));
    case 'remove':
    case 'purge':
    case 'autoremove':
    case 'autopurge':
      if (!ctx.isRoot && !dryRun) fail(100, LOCK_ERROR);
      return withDpkgLock(() => remove(ctx, verb, args, { flags, say, readingLists, confirm, dryRun }));
    case 'clean':
    case 'autoclean':
    case 'check':
      if (!ctx.isRoot) fail(100, LOCK_ERROR);
      if (verb === 'check') readingLists();
      return 0;
    default:
      fail(100, `E: Invalid operation ${verb}`);
  }
  return 0;
});

function parseRequest(arg) {
  const eq = arg.indexOf('=');
  if (eq !== -1) return { name: arg.slice(0, eq), version: arg.slice(eq + 1) };
  const slash = arg.indexOf('/');
  return { name: slash === -1 ? arg : arg.slice(0, slash), version: undefined };
}

function install(ctx, verb, args, { flags, say, progress, readingLists, confirm, dryRun }) {
  readingLists();
  const available = availablePackages();
  const status = readStatus();
  /** name → { pkg, version, previous, auto } */
  const plan = new Map();
  const already = [];
  const keptBack = [];

  const requests =
    verb === 'install' || verb === 'reinstall'
      ? args.map(parseRequest)
      : status
          // Only what the simulated repositories own; the machine's own packages stay as they are.
          .filter((p) => installed(status, p.name) && ['kubernetes', 'docker'].includes(available.get(p.name)?.repo))
          .map((p) => ({ name: p.name, version: undefined, upgradeOnly: true }));
  if ((verb === 'install' || verb === 'reinstall') && requests.length === 0) fail(100, 'E: No packages found');

  for (const request of requests) {
    const pkg = available.get(request.name);
    const current = installed(status, request.name);
    if (!pkg && !current) fail(100, `E: Unable to locate package ${request.name}`);
    let version;
    if (request.version !== undefined) {
      version = pkg && pickVersion(pkg.versions, request.version);
      if (!version && current && pickVersion([current.version], request.version)) version = current.version;
      if (!version) fail(100, `E: Version '${request.version}' for '${request.name}' was not found`);
    } else {
      version = pkg?.versions.at(-1) ?? current.version;
      if (current && compareVersions(current.version, version) >= 0) version = current.version;
    }
    if (current && current.version === version && verb !== 'reinstall' && !flags.reinstall) {
      if (!request.upgradeOnly) already.push(`${request.name} is already the newest version (${version}).`);
      continue;
    }
    if (current?.want === 'hold' && request.upgradeOnly) {
      keptBack.push(request.name);
      continue;
    }
    plan.set(request.name, { pkg: pkg ?? { name: request.name, description: request.name, depends: [] }, version, previous: current?.version, auto: false });
  }
  for (const item of [...plan.values()]) {
    for (const dep of item.pkg.depends ?? []) {
      if (plan.has(dep) || installed(status, dep)) continue;
      const depPkg = available.get(dep);
      if (!depPkg) fail(100, `E: Unable to correct problems, you have held broken packages.`);
      plan.set(dep, { pkg: depPkg, version: depPkg.versions.at(-1), previous: undefined, auto: true });
    }
  }

  const items = [...plan.values()];
  const additional = items.filter((i) => i.auto).map((i) => i.pkg.name).sort();
  const fresh = items.filter((i) => i.previous === undefined).map((i) => i.pkg.name).sort();
  const upgraded = items.filter((i) => i.previous !== undefined && compareVersions(i.version, i.previous) > 0).map((i) => i.pkg.name).sort();
  const downgraded = items.filter((i) => i.previous !== undefined && compareVersions(i.version, i.previous) < 0).map((i) => i.pkg.name).sort();
  const held = items.filter((i) => installed(status, i.pkg.name)?.want === 'hold').map((i) => i.pkg.name).sort();
  for (const line of already) say(line);
  const list = (title, names) => {
    if (names.length > 0) say(`${title}\n  ${names.join(' ')}`);
  };
  list('The following additional packages will be installed:', additional);
  list('The following packages have been kept back:', keptBack);
  list('The following held packages will be changed:', held);
  list('The following NEW packages will be installed:', fresh);
  list('The following packages will be upgraded:', upgraded);
  list('The following packages will be DOWNGRADED:', downgraded);
  say(`${upgraded.length} upgraded, ${fresh.length} newly installed, ${downgraded.length > 0 ? `${downgraded.length} downgraded, ` : ''}0 to remove and ${keptBack.length} not upgraded.`);
  if (items.length === 0) return 0;
  if (held.length > 0 && !flags['allow-change-held-packages']) fail(100, 'E: Held packages were changed and -y was used without --allow-change-held-packages.');
  if (downgraded.length > 0 && !flags['allow-downgrades']) fail(100, 'E: Packages were downgraded and -y was used without --allow-downgrades.');
  if (dryRun) {
    for (const i of items) say(`Inst ${i.pkg.name} ${i.previous ? `[${i.previous}] ` : ''}(${i.version} ${i.pkg.origin ?? ''})`);
    return 0;
  }
  if (additional.length > 0 || held.length > 0 || downgraded.length > 0) confirm();
  if (flags['download-only']) return 0;

  items.forEach((i, n) => progress(`Get:${n + 1} ${i.pkg.origin ?? ''} ${i.pkg.name} amd64 ${i.version}`));
  for (const i of items) {
    if (i.previous === undefined) say(`Selecting previously unselected package ${i.pkg.name}.`);
    say(`Preparing to unpack .../${i.pkg.name}_${i.version.replace(':', '%3a')}_amd64.deb ...`);
    say(i.previous === undefined ? `Unpacking ${i.pkg.name} (${i.version}) ...` : `Unpacking ${i.pkg.name} (${i.version}) over (${i.previous}) ...`);
    unpack(i.pkg.name);
    const want = installed(status, i.pkg.name)?.want === 'hold' ? 'hold' : 'install';
    setParagraph(status, i.pkg.name, statusFields(i.pkg, i.version, want));
  }
  writeStatus(status);
  ctx.mutated();
  for (const i of items) {
    say(`Setting up ${i.pkg.name} (${i.version}) ...`);
    setUpServices(ctx, i.pkg.name, i.previous !== undefined, say);
  }
  return 0;
}

/**
 * Whether /usr/sbin/policy-rc.d forbids starting services now, as invoke-rc.d and
 * deb-systemd-invoke ask it (exit 101: forbidden; invoke-rc.d(8)).
 */
function policyForbids(unit) {
  if (!existsSync(POLICY_RC_D)) return false;
  return spawnSync(POLICY_RC_D, [unit.replace(/\.service$/, ''), 'restart'], { stdio: 'ignore' }).status === 101;
}

/** A package's postinst: enable its services and (re)start them, as deb-systemd-helper and invoke-rc.d do; a failed start does not fail the install (`|| true`). */
function setUpServices(ctx, name, upgrade, say) {
  const services = packageServices(name);
  if (services.length === 0) return;
  for (const unit of services) {
    const path = unitFile(unit);
    if (!path) continue;
    for (const { link, target } of enablementLinks(unit, path)) {
      if (existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(target, link);
      say(`Created symlink ${link} → ${target}.`);
    }
  }
  const { result: units } = updateUnits((state) => {
    for (const unit of services) {
      if (policyForbids(unit)) say(`invoke-rc.d: policy-rc.d denied execution of ${upgrade ? 'restart' : 'start'}.`);
      else if (upgrade ? state[unit]?.active : true) startUnit(state, unit);
    }
    return state;
  });
  if (services.includes('kubelet.service') || services.includes('containerd.service')) reportKubelet(ctx.host, units);
}

function remove(ctx, verb, args, { flags, say, readingLists, confirm, dryRun }) {
  readingLists();
  const status = readStatus();
  const purge = verb === 'purge' || verb === 'autopurge' || flags.purge;
  if (verb === 'autoremove' || verb === 'autopurge') {
    say('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.');
    return 0;
  }
  const targets = [];
  for (const arg of args) {
    const { name } = parseRequest(arg);
    const current = installed(status, name);
    const leftover = status.find((p) => p.name === name);
    if (!current && purge && leftover) {
      targets.push({ name, current: { version: leftover.fields.find(([k]) => k === 'Version')?.[1] ?? '', want: 'deinstall' } });
      continue;
    }
    if (!current) {
      if (!leftover) fail(100, `E: Unable to locate package ${name}`);
      say(`Package '${name}' is not installed, so not removed`);
      continue;
    }
    targets.push({ name, current });
  }
  const held = targets.filter((t) => t.current.want === 'hold').map((t) => t.name);
  if (targets.length > 0) say(`The following packages will be REMOVED:\n  ${targets.map((t) => `${t.name}${purge ? '*' : ''}`).join(' ')}`);
  say(`0 upgraded, 0 newly installed, ${targets.length} to remove and 0 not upgraded.`);
  if (targets.length === 0) return 0;
  if (held.length > 0 && !flags['allow-change-held-packages']) fail(100, 'E: Held packages were changed and -y was used without --allow-change-held-packages.');
  if (dryRun) return 0;
  confirm();
  for (const { name, current } of targets) {
    say(`Removing ${name} (${current.version}) ...`);
    const services = packageServices(name);
    if (services.length > 0) {
      const { result: units } = updateUnits((state) => {
        for (const unit of services) stopUnit(state, unit);
        return state;
      });
      for (const unit of services) {
        const path = unitFile(unit);
        if (path) for (const { link } of enablementLinks(unit, path)) rmSync(link, { force: true });
      }
      if (services.includes('kubelet.service')) reportKubelet(ctx.host, units);
    }
    removeFiles(name, purge);
    if (!purge && hasConffiles(name)) setWant(status, name, 'deinstall') && setConfigFiles(status, name);
    else removeParagraph(status, name);
    if (purge) say(`Purging configuration files for ${name} (${current.version}) ...`);
  }
  writeStatus(status);
  ctx.mutated();
  return 0;
}

function setConfigFiles(status, name) {
  const p = status.find((q) => q.name === name);
  const fields = p.fields.map(([k, v]) => [k, k === 'Status' ? 'deinstall ok config-files' : v]);
  setParagraph(status, name, fields);
  return true;
}
