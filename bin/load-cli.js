'use strict';
/**
 * Loads the CLI (src/cli/main.ts) for bin/oss-auto-encrypt.js.
 *
 * From one esbuild bundle of src/ and the packages it uses, cached in node_modules/.cache/oss-auto-encrypt/: running
 * the sources through tsx's per-file hook and resolving some 300 package files one by one cost 0.15 s more at
 * start-up and about a sixth more CPU per object in a backfill (tsx's keepNames wraps every closure it creates);
 * bench/backfill-speed.bench.ts measures it.
 *
 * Never stale. The bundle is named by a fingerprint of everything it was built from, and the manifest names that
 * file, so a bundle and another build's manifest cannot be paired. Checked on every start (a few ms):
 * - every file esbuild loaded, recorded as it was read (a plugin reads them): ours (in the checkout, outside
 *   node_modules) by content; packages by size, mtime, ctime and inode, taken before the read (any later write
 *   changes ctime; npm replaces files), with the package.json nearest to each (its main/exports pick the file);
 * - inside the checkout, the names (and symlink targets) in every directory holding an input, up to the root: a new
 *   file that would now win resolution (src/x.ts beside src/x/index.ts, a package nested under another, a
 *   re-pointed `npm link`) changes one of those listings; and the content of every .json file in our own
 *   directories (a nested tsconfig.json or package.json);
 * - the root's package.json and every tsconfig*.json (`extends` targets included), this file, esbuild's and Node's
 *   versions.
 * What is read after the build (listings, package.json files) is also checked for changes made while it ran (their
 * mtime or ctime from its start on): such a build is redone once, else not kept.
 *
 * Left out of the bundle, so loaded from node_modules when used: what only some commands need and is large
 * (@alicloud/fc2 for invoke and --fanout, Serverless Devs for doctor), what must not be bundled (esbuild,
 * playwright-core), and what urllib requires lazily and this CLI never needs (proxy-agent, not installed;
 * iconv-lite). Each is required by the path Node would resolve from the requiring file, as from the sources.
 *
 * Falls back to tsx, from the sources, when esbuild is missing, the cache directory is not writable (checked before
 * building, so a read-only checkout does not pay for a build on every start), or the build fails (said on stderr,
 * once per start); OSS_AUTO_ENCRYPT_NO_BUNDLE=1 forces that path. Stack traces point at src/…ts lines through the
 * bundle's source map.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'src', 'cli', 'main.ts');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'oss-auto-encrypt');
const MANIFEST = path.join(CACHE, 'cli.json');
const EXTERNAL = ['@alicloud/fc2', '@serverless-devs/s', 'esbuild', 'playwright-core', 'tsx', 'proxy-agent', 'iconv-lite'];
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.jsx': 'jsx', '.json': 'json' };
/** Bundles and temporary files older than this are removed; younger ones may be about to be loaded by another start. */
const KEEP_OLD_MS = 60_000;
/** Kernel timestamps may lag the clock by a tick: a change this close before a build's start counts as during it. */
const CLOCK_SLACK_MS = 20;

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join('/');
const outside = (relPath) => relPath === '..' || relPath.startsWith('../') || path.isAbsolute(relPath);
/** Package code: under a node_modules, or outside the checkout (a linked package's real path). */
const isPackage = (relPath) => outside(relPath) || relPath.split('/').includes('node_modules');

function esbuildVersion() {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json', { paths: [ROOT] }), 'utf8')).version;
  } catch {
    return undefined;
  }
}

const statKey = (s) => `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
const sha = (data) => createHash('sha256').update(data).digest('hex');

/** What to record for one file now: content hash for ours, stat for packages; 'missing' if it is not there. */
function fileKey(relPath) {
  const abs = path.resolve(ROOT, relPath);
  try {
    return isPackage(relPath) ? `stat:${statKey(fs.statSync(abs))}` : `sha:${sha(fs.readFileSync(abs))}`;
  } catch {
    return 'missing';
  }
}

/**
 * What resolution read besides the loaded files, as it is now, each directory listed once:
 * - `dirs`: directories inside the checkout that hold an input, and their ancestors below the root; and always
 *   node_modules and its @scope directories, where links to packages outside the checkout (npm link, file:,
 *   workspaces) live. Directories outside the checkout are left out: a parent directory's unrelated files must not
 *   force rebuilds;
 * - `listings`: their entries;
 * - `files`: files read to resolve but not loaded: the root package.json and tsconfig*.json, each package's
 *   package.json, the .json files in our own directories.
 */
function scan(inputs) {
  const listings = new Map();
  const list = (d) => {
    if (!listings.has(d)) listings.set(d, listing(d));
    return listings.get(d);
  };
  const dirs = new Set(['node_modules']);
  for (const n of list('node_modules')) if (n.startsWith('@')) dirs.add(`node_modules/${n.replace(/->.*$/, '')}`);
  for (const f of inputs) {
    if (outside(f)) continue;
    for (let d = path.posix.dirname(f); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  }
  const sortedDirs = [...dirs].sort();
  const files = new Set(['package.json']);
  for (const n of fs.readdirSync(ROOT)) if (/^tsconfig.*\.json$/.test(n)) files.add(n);
  const memo = new Map();
  for (const f of inputs) {
    if (!isPackage(f)) continue;
    const p = packageJsonOf(f, memo);
    if (p) files.add(p);
  }
  for (const d of sortedDirs) {
    if (isPackage(d)) continue;
    for (const n of list(d)) if (n.endsWith('.json')) files.add(`${d}/${n}`);
  }
  for (const f of inputs) files.delete(f);
  return { dirs: sortedDirs, listings: sortedDirs.map((d) => [d, list(d)]), files: [...files].sort() };
}

/** A directory's entries (names, and targets of symlinks); dot-entries aside: .cache, .bin, .package-lock.json. */
function listing(dir) {
  try {
    return fs
      .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => (e.isSymbolicLink() ? `${e.name}->${safeReadlink(path.join(ROOT, dir, e.name))}` : e.name))
      .sort();
  } catch (err) {
    return [`unreadable:${err.code}`]; // still a stable key: an unreadable directory does not force a build per start
  }
}

function safeReadlink(p) {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

/** The package.json nearest above a package file (the one that decided how it was resolved); memoized per directory. */
function packageJsonOf(relFile, memo) {
  const seen = [];
  let found;
  for (let d = path.dirname(path.resolve(ROOT, relFile)); ; d = path.dirname(d)) {
    if (memo.has(d)) {
      found = memo.get(d);
      break;
    }
    seen.push(d);
    const p = path.join(d, 'package.json');
    if (fs.existsSync(p)) {
      found = rel(p);
      break;
    }
    if (path.dirname(d) === d) break;
  }
  for (const d of seen) memo.set(d, found);
  return found;
}

/** The fingerprint of the inputs (as recorded in `keys`) plus what resolution read (`scanned`, see scan()). */
function fingerprint(keys, scanned, salt) {
  const h = createHash('sha256').update(salt);
  for (const f of Object.keys(keys).sort()) h.update(`f\0${f}\0${keys[f]}\0`);
  for (const [d, entries] of scanned.listings) h.update(`d\0${d}\0${entries.join('/')}\0`);
  for (const f of scanned.files) h.update(`r\0${f}\0${fileKey(f)}\0`);
  return h.digest('hex');
}

/** The fingerprint of the recorded inputs as they are now. */
function currentFingerprint(inputs, salt) {
  const keys = {};
  for (const f of inputs) keys[f] = fileKey(f);
  return fingerprint(keys, scan(inputs), salt);
}

/** Did anything that resolution read change since `since` (ms)? Directories by mtime, files by ctime. */
function changedSince(scanned, since) {
  const stats = [...scanned.dirs.map((d) => ['m', d]), ...scanned.files.map((f) => ['c', f])];
  for (const [kind, p] of stats) {
    try {
      const s = fs.statSync(path.resolve(ROOT, p));
      if ((kind === 'm' ? s.mtimeMs : s.ctimeMs) >= since) return true;
    } catch {
      return true;
    }
  }
  return false;
}

const saltOf = (version) => `${version}\0${process.version}\0${fs.readFileSync(__filename, 'utf8')}`;

/** The cached bundle's path if it was built from exactly the current inputs, else undefined. */
function freshBundle(salt) {
  try {
    const m = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
    if (!Array.isArray(m.inputs) || typeof m.bundle !== 'string' || !/^cli-[0-9a-f]+\.js$/.test(m.bundle)) return undefined;
    const bundle = path.join(CACHE, m.bundle);
    return currentFingerprint(m.inputs, salt) === m.hash && fs.existsSync(bundle) ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** Can the cache directory be created or written? (Checked on its nearest existing ancestor.) */
function cacheWritable() {
  let dir = CACHE;
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** External packages are required by the absolute path Node would resolve from the requiring file. */
const externals = {
  name: 'externals-as-resolved',
  setup(b) {
    const filter = new RegExp(`^(${EXTERNAL.map((e) => e.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/|$)`);
    b.onResolve({ filter }, (args) => {
      try {
        return { path: require.resolve(args.path, { paths: [args.resolveDir] }), external: true };
      } catch {
        return { path: args.path, external: true }; // not installed (proxy-agent): fails at run time, as from the sources
      }
    });
  },
};

/** One build; undefined if the inputs changed while it ran. Throws esbuild's error if the sources do not build. */
async function buildOnce(esbuild, salt) {
  // Creating the cache changes node_modules' mtime: done, and let the slack pass, before `since` is taken.
  if (fs.mkdirSync(CACHE, { recursive: true }) !== undefined) await new Promise((r) => setTimeout(r, CLOCK_SLACK_MS + 5));
  const since = Date.now() - CLOCK_SLACK_MS;
  const keys = {};
  const record = {
    name: 'record-inputs',
    setup(b) {
      // Every file is read here, and recorded as read: the fingerprint is of exactly what was compiled.
      b.onLoad({ filter: /.*/ }, (args) => {
        const r = rel(args.path);
        const loader = LOADERS[path.extname(args.path)];
        if (isPackage(r)) keys[r] = `stat:${statKey(fs.statSync(args.path))}`; // stat first: a later write changes ctime
        const contents = fs.readFileSync(args.path);
        if (!isPackage(r)) keys[r] = `sha:${sha(contents)}`;
        return { contents, ...(loader ? { loader } : {}) };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    plugins: [externals, record],
    sourcemap: 'external',
    sourcesContent: false,
    outdir: CACHE,
    entryNames: 'cli-build',
    write: false,
    logLevel: 'silent',
  });
  const scanned = scan(Object.keys(keys));
  const hash = fingerprint(keys, scanned, salt);
  if (changedSince(scanned, since)) return undefined;
  const name = `cli-${hash.slice(0, 32)}.js`;
  const js = result.outputFiles.find((o) => o.path.endsWith('.js'));
  const map = result.outputFiles.find((o) => o.path.endsWith('.js.map'));
  // Unique temporary names, then renames: a start meanwhile sees a whole file or none. The bundle's name is its
  // fingerprint, so whichever manifest wins names a bundle built from exactly what that manifest records.
  const tmp = `.${process.pid}.${Date.now()}.tmp`;
  const bundle = path.join(CACHE, name);
  fs.writeFileSync(`${bundle}.map${tmp}`, map.contents);
  fs.writeFileSync(`${bundle}${tmp}`, `${js.text.replace(/\/\/# sourceMappingURL=.*\n?$/, '')}//# sourceMappingURL=${name}.map\n`);
  fs.writeFileSync(`${MANIFEST}${tmp}`, JSON.stringify({ hash, bundle: name, inputs: Object.keys(keys).sort() }));
  fs.renameSync(`${bundle}.map${tmp}`, `${bundle}.map`);
  fs.renameSync(`${bundle}${tmp}`, bundle);
  fs.renameSync(`${MANIFEST}${tmp}`, MANIFEST);
  return bundle;
}

async function build(salt) {
  const esbuild = require(require.resolve('esbuild', { paths: [ROOT] }));
  // Inputs that changed during the build (a checkout, an npm install): once more, then give up for this start.
  for (let attempt = 0; attempt < 2; attempt++) {
    const bundle = await buildOnce(esbuild, salt);
    if (bundle) return bundle;
  }
  return undefined;
}

/** Old bundles, and temporary files of builds that died, once nobody can be about to load them. */
function removeOld(keep) {
  const now = Date.now();
  let entries;
  try {
    entries = fs.readdirSync(CACHE);
  } catch {
    return;
  }
  for (const f of entries) {
    if (f === keep || f === `${keep}.map` || f === 'cli.json') continue;
    const p = path.join(CACHE, f);
    try {
      if (now - fs.statSync(p).mtimeMs > KEEP_OLD_MS) fs.unlinkSync(p);
    } catch {
      // removed by another start meanwhile
    }
  }
}

function firstError(err) {
  const e = err && Array.isArray(err.errors) && err.errors[0];
  if (!e) return String((err && err.message) || err);
  return e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text;
}

/** The CLI module: `{ main(argv): Promise<number> }`. */
async function loadCli() {
  const version = process.env.OSS_AUTO_ENCRYPT_NO_BUNDLE === '1' ? undefined : esbuildVersion();
  if (version !== undefined) {
    const salt = saltOf(version);
    let bundle = freshBundle(salt);
    if (!bundle && cacheWritable()) {
      try {
        bundle = await build(salt);
      } catch (err) {
        process.stderr.write(`oss-auto-encrypt: could not bundle the CLI (${firstError(err)}); running from the sources through tsx\n`);
      }
    }
    if (bundle) {
      removeOld(path.basename(bundle));
      process.setSourceMapsEnabled(true);
      try {
        return require(bundle);
      } catch (err) {
        // Removed by another start between the check and here (old bundles go after KEEP_OLD_MS): the sources then.
        if (err && err.code !== 'MODULE_NOT_FOUND') throw err;
      }
    }
  }
  require('tsx/cjs');
  return require(ENTRY);
}

module.exports = { loadCli, CACHE };
