'use strict';
/**
 * Loads the CLI (src/cli/main.ts) for bin/oss-auto-encrypt.js.
 *
 * From one esbuild bundle of src/ and the packages it uses, cached in node_modules/.cache/oss-auto-encrypt/: running
 * the sources through tsx's per-file hook and resolving some 300 package files one by one cost 0.15 s more at
 * start-up and about a sixth more CPU per object in a backfill (tsx's keepNames wraps every closure it creates);
 * bench/backfill-speed.bench.ts measures it.
 *
 * Never stale. The bundle is named by a fingerprint of everything it was built from, recorded while esbuild read it
 * (a plugin loads every file, so a save during the build cannot slip between what was compiled and what was
 * recorded), and the manifest names that file, so a bundle and another build's manifest cannot be paired. Checked on
 * every start (a few ms):
 * - our sources by content;
 * - package files by size, mtime, ctime and inode (any write changes ctime, and npm replaces files), and each
 *   package's package.json (its main/exports decide what is loaded);
 * - the names in every directory that holds an input, up to the package root: a new file that would now win
 *   resolution (src/x.ts next to src/x/index.ts, a package nested under another) changes one of those listings;
 * - this file, and esbuild's and Node's versions.
 *
 * Left out of the bundle, so loaded from node_modules when used: what only some commands need and is large
 * (@alicloud/fc2 for invoke and --fanout, Serverless Devs for doctor), what must not be bundled (esbuild,
 * playwright-core), and what urllib requires lazily and this CLI never needs (proxy-agent, not installed; iconv-lite).
 *
 * Falls back to tsx, from the sources, when esbuild is missing or the cache directory is not writable (checked
 * before building, so a read-only checkout does not pay for a build on every start); OSS_AUTO_ENCRYPT_NO_BUNDLE=1
 * forces that path. Stack traces point at src/…ts lines through the bundle's source map.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'src', 'cli', 'main.ts');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'oss-auto-encrypt');
const MANIFEST = path.join(CACHE, 'cli.json');
const EXTERNAL = ['@alicloud/fc2', '@serverless-devs/s', 'esbuild', 'playwright-core', 'tsx', 'proxy-agent', 'iconv-lite'];
const LOADERS = { '.ts': 'ts', '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.json': 'json' };
/** Bundles older than this are removed after a build; younger ones may be about to be loaded by another start. */
const KEEP_OLD_MS = 60_000;

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join('/');
const inPackages = (relPath) => relPath.split('/').includes('node_modules');

function esbuildVersion() {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json', { paths: [ROOT] }), 'utf8')).version;
  } catch {
    return undefined;
  }
}

const statKey = (s) => `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
const sha = (data) => createHash('sha256').update(data).digest('hex');

/** What to record for one file now: content hash for ours, stat for packages; undefined if it is gone. */
function fileKey(relPath) {
  const abs = path.join(ROOT, relPath);
  try {
    return inPackages(relPath) ? `stat:${statKey(fs.statSync(abs))}` : `sha:${sha(fs.readFileSync(abs))}`;
  } catch {
    return undefined;
  }
}

/** Every directory holding an input, and its ancestors below ROOT. */
function directoriesOf(files) {
  const dirs = new Set();
  for (const f of files) for (let d = path.posix.dirname(f); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  return [...dirs].sort();
}

/** A directory's entry names (dot-entries aside: .cache, .bin, .package-lock.json change without changing resolution). */
function listingKey(dir) {
  try {
    return fs.readdirSync(path.join(ROOT, dir)).filter((n) => !n.startsWith('.')).sort().join('/');
  } catch {
    return undefined;
  }
}

/** The fingerprint of recorded file keys plus the current listings (and package.json of packages) of their directories. */
function fingerprint(fileKeys, salt) {
  const h = createHash('sha256').update(salt);
  const files = Object.keys(fileKeys).sort();
  for (const f of files) h.update(`f\0${f}\0${fileKeys[f]}\0`);
  for (const d of directoriesOf(files)) {
    const listing = listingKey(d);
    if (listing === undefined) return undefined;
    h.update(`d\0${d}\0${listing}\0`);
    // A package's package.json is read to resolve it but never loaded as a module.
    if (inPackages(d) && listing.split('/').includes('package.json') && !(`${d}/package.json` in fileKeys)) {
      const k = fileKey(`${d}/package.json`);
      if (k === undefined) return undefined;
      h.update(`p\0${d}\0${k}\0`);
    }
  }
  return h.digest('hex');
}

/** The fingerprint of the inputs as they are now. */
function currentFingerprint(files, salt) {
  const keys = {};
  for (const f of files) {
    const k = fileKey(f);
    if (k === undefined) return undefined;
    keys[f] = k;
  }
  return fingerprint(keys, salt);
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

async function build(salt) {
  const esbuild = require(require.resolve('esbuild', { paths: [ROOT] }));
  const keys = {};
  const record = {
    name: 'record-inputs',
    setup(b) {
      // Every file is read here, and recorded as read: the fingerprint is of exactly what was compiled.
      b.onLoad({ filter: /.*/ }, (args) => {
        const r = rel(args.path);
        const loader = LOADERS[path.extname(args.path)];
        if (inPackages(r)) {
          const before = fs.statSync(args.path); // stat first: a write after it changes ctime, so the next start rebuilds
          keys[r] = `stat:${statKey(before)}`;
          return { contents: fs.readFileSync(args.path), ...(loader ? { loader } : {}) };
        }
        const contents = fs.readFileSync(args.path);
        keys[r] = `sha:${sha(contents)}`;
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
    external: EXTERNAL,
    plugins: [record],
    sourcemap: 'external',
    sourcesContent: false,
    outdir: CACHE,
    entryNames: 'cli-build',
    write: false,
    logLevel: 'silent',
  });
  for (const f of ['tsconfig.json', 'package.json']) keys[f] = fileKey(f);
  if (Object.values(keys).includes(undefined)) return undefined;
  const hash = fingerprint(keys, salt);
  if (hash === undefined) return undefined;
  const name = `cli-${hash.slice(0, 32)}.js`;
  const js = result.outputFiles.find((o) => o.path.endsWith('.js'));
  const map = result.outputFiles.find((o) => o.path.endsWith('.js.map'));
  fs.mkdirSync(CACHE, { recursive: true });
  // Unique temporary names, then renames: a start meanwhile sees a whole file or none. The bundle's name is its
  // fingerprint, so whichever manifest wins names a bundle built from exactly what that manifest records.
  const tmp = `.${process.pid}.${Date.now()}.tmp`;
  const bundle = path.join(CACHE, name);
  fs.writeFileSync(`${bundle}.map${tmp}`, map.contents);
  fs.writeFileSync(`${bundle}${tmp}`, Buffer.concat([Buffer.from(js.text.replace(/\/\/# sourceMappingURL=.*\n?$/, '')), Buffer.from(`//# sourceMappingURL=${name}.map\n`)]));
  fs.writeFileSync(`${MANIFEST}${tmp}`, JSON.stringify({ hash, bundle: name, inputs: Object.keys(keys).sort() }));
  fs.renameSync(`${bundle}.map${tmp}`, `${bundle}.map`);
  fs.renameSync(`${bundle}${tmp}`, bundle);
  fs.renameSync(`${MANIFEST}${tmp}`, MANIFEST);
  removeOld(name);
  return bundle;
}

/** Old bundles, and temporary files of builds that died, once nobody can be about to load them. */
function removeOld(keep) {
  const now = Date.now();
  for (const f of fs.readdirSync(CACHE)) {
    if (f === keep || f === `${keep}.map` || f === 'cli.json') continue;
    const p = path.join(CACHE, f);
    try {
      if (now - fs.statSync(p).mtimeMs > KEEP_OLD_MS) fs.unlinkSync(p);
    } catch {
      // removed by another start meanwhile
    }
  }
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
      } catch {
        bundle = undefined; // sources that do not build: tsx then reports the error with its file and line
      }
    }
    if (bundle) {
      process.setSourceMapsEnabled(true);
      return require(bundle);
    }
  }
  require('tsx/cjs');
  return require(ENTRY);
}

module.exports = { loadCli, CACHE };
