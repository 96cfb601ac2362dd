import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { IN_HOST, LAB_CODE_DIR, REPO_ROOT } from './paths.ts';

// A simulator starts once per simulated command, some twenty per host per
// apply, and loading its forty-odd modules one by one (and the yaml package's
// sixty CommonJS files) was most of each start: 0.29 s of a simulated
// `kubectl get nodes`, 0.07 s of it Node.js and sudo. So lab hosts run each
// simulator as one file, built by esbuild when the simulators change, kept
// in .herd/cache and copied into every host's base seed (IN_HOST.bundleDir).
// calico-node is left out: it starts once per boot and compiles the confd
// generator's TypeScript itself.

const SIMULATORS = join(LAB_CODE_DIR, 'simulators');
const CACHE = join(REPO_ROOT, '.herd', 'cache');
const LEFT_OUT = new Set(['calico-node']);
/**
 * The simulators' own import.meta.url, spelled so that bin/compiled.mjs, which
 * rewrites that text in herd's sources to each module's path, leaves it alone.
 */
const META_URL = ['import', 'meta', 'url'].join('.');
/** yaml.mjs and toml.mjs load their package on first use through this line; bundled, esbuild's own require does it. */
const RUNTIME_REQUIRE = `const require = createRequire(${META_URL});`;

const BUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  // The CommonJS packages in a bundle require Node.js's own modules (process, buffer): give them a require.
  banner: { js: `import { createRequire as herdLabCreateRequire } from 'node:module';\nconst require = herdLabCreateRequire(${META_URL});` },
  logLevel: 'silent',
} as const satisfies BuildOptions;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : files(path);
    return entry.name.endsWith('.mjs') ? [path] : [];
  });
}

function sourcesKey(sources: readonly string[]): string {
  const esbuild = readFileSync(join(REPO_ROOT, 'node_modules/esbuild/package.json'), 'utf8');
  // How they are built is part of what they are.
  const hash = createHash('sha256').update(`${process.version}\0${esbuild}\0${JSON.stringify(BUILD)}\0${RUNTIME_REQUIRE}\0${IN_HOST.codeDir}\0`);
  for (const file of [...sources].sort()) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(SIMULATORS, file)}\0${size}\0${mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The sources as esbuild bundles them: each module keeps its own in-host path
 * as import.meta.url (FIXTURES_DIR, the table of versions and node_modules
 * resolve from there), and yaml and smol-toml come into the bundle.
 */
function writeSourcesForBundling(sources: readonly string[], into: string): void {
  for (const file of sources) {
    const url = JSON.stringify(`file://${IN_HOST.codeDir}/${relative(LAB_CODE_DIR, file)}`);
    const target = join(into, relative(SIMULATORS, file));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(file, 'utf8').replace(RUNTIME_REQUIRE, '').replaceAll(META_URL, url));
  }
}

/**
 * The directory of the simulators' bundles as they are now (one
 * <command>.mjs each, to copy into hosts as IN_HOST.bundleDir), built first
 * if they changed. A failed build is an error: a lab whose hosts ran the
 * sources instead would be a different lab from the one the tests measured.
 */
export function simulatorBundles(): string {
  const sources = files(SIMULATORS);
  const commands = readdirSync(SIMULATORS)
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => name.slice(0, -'.mjs'.length))
    .filter((name) => !LEFT_OUT.has(name))
    .sort();
  const dir = join(CACHE, `lab-simulators-${sourcesKey(sources)}`);
  if (commands.every((c) => existsSync(join(dir, 'out', `${c}.mjs`)))) return join(dir, 'out');
  mkdirSync(CACHE, { recursive: true, mode: 0o700 });
  const temp = `${dir}.${process.pid}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  const src = join(temp, 'src');
  writeSourcesForBundling(sources, src);
  buildSync({
    ...BUILD,
    entryPoints: Object.fromEntries(commands.map((c) => [c, join(src, `${c}.mjs`)])),
    outdir: join(temp, 'out'),
    target: `node${process.versions.node}`,
    nodePaths: [join(REPO_ROOT, 'node_modules')],
  });
  rmSync(src, { recursive: true });
  try {
    renameSync(temp, dir);
  } catch (err) {
    // Another lab starting at the same time renamed the same bundles first.
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'out'))) throw err;
  }
  for (const old of readdirSync(CACHE)) {
    if (old.startsWith('lab-simulators-') && join(CACHE, old) !== dir && !old.endsWith('.tmp')) rmSync(join(CACHE, old), { recursive: true, force: true });
  }
  return join(dir, 'out');
}
