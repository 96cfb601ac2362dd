// herd ships as TypeScript, with no build step to forget. Compiling each module
// as it loads (tsx) costs a second or more on every start, which every herd
// command, deploy and test pays; so the first run after the sources changed
// bundles the entry point with esbuild (the compiler tsx itself uses) into
// .herd/cache/, and later runs load that bundle. It is split where the code
// imports a module lazily (the commands that synthesize, draw or talk to
// vCenter), so that a command loads the libraries it uses and not those of the
// others (the CDK library alone takes ~0.6 s to load). The cache is keyed by the
// sources' paths, sizes and times, Node.js's and esbuild's versions: any edit
// makes a new bundle, and only the newest is kept.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['scripts', 'stacks', 'templates'];
const CACHE = join(ROOT, '.herd', 'cache');
const STALE_MS = 60 * 60 * 1000;

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function sourcesKey(entry) {
  const hash = createHash('sha256').update(`${entry}\0${process.version}\0${readFileSync(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')}`);
  for (const file of SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir))).sort()) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(ROOT, file)}\0${size}\0${mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The modules keep reading files next to their sources (probe.sh, the
 * templates, the lab's code bound into hosts): import.meta.dirname and
 * import.meta.url are each module's own, not the bundle's.
 */
const sourcePaths = {
  name: 'herd-source-paths',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      loader: 'ts',
      contents: readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
    }));
  },
};

/**
 * The bundle of `entry` (a path from the repository root) as a file: URL,
 * built now if the sources changed since the last one; undefined when it
 * cannot be built, for the caller to load the sources through tsx instead.
 */
export async function compiledEntry(entry) {
  const name = entry.replace(/\.ts$/, '').replaceAll('/', '-');
  try {
    const dir = join(CACHE, `${name}-${sourcesKey(entry)}`);
    const main = join(dir, 'main.mjs');
    if (existsSync(main)) return pathToFileURL(main).href;
    const { build } = await import('esbuild');
    mkdirSync(CACHE, { recursive: true, mode: 0o700 });
    const temp = `${dir}.${process.pid}.tmp`;
    await build({
      entryPoints: { main: join(ROOT, entry) },
      outdir: temp,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node}`,
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
      plugins: [sourcePaths],
    });
    try {
      renameSync(temp, dir);
    } catch (err) {
      // A concurrent first run renamed its bundle first: the same bundle, keep it.
      rmSync(temp, { recursive: true, force: true });
      if (!existsSync(main)) throw err;
    }
    // Older bundles go once no run can still be loading chunks from them (an hour after they were built).
    for (const old of readdirSync(CACHE)) {
      const path = join(CACHE, old);
      if (old.startsWith(`${name}-`) && path !== dir && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    }
    return pathToFileURL(main).href;
  } catch {
    return undefined;
  }
}

/** Runs `entry` (a path from the repository root) from its bundle, or through tsx when it cannot be bundled. */
export async function run(entry) {
  const compiled = await compiledEntry(entry);
  if (compiled === undefined) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(join(ROOT, entry)).href);
  } else {
    // Stack traces point at the TypeScript sources, as they do under tsx.
    process.setSourceMapsEnabled(true);
    await import(compiled);
  }
}
