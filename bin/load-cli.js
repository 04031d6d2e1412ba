'use strict';
/**
 * Loads the CLI (src/cli/main.ts) for bin/oss-auto-encrypt.js.
 *
 * From one esbuild bundle of src/ and the packages it uses, cached in node_modules/.cache/oss-auto-encrypt/: running
 * the sources through tsx's per-file hook and resolving some 300 package files one by one cost 0.15 s more at
 * start-up and about a sixth more CPU per object in a backfill (tsx's keepNames wraps every closure it creates);
 * bench/backfill-speed.bench.ts measures it. The bundle is never stale: it is keyed by the content of every source
 * file in it, the size and mtime of every package file in it, this file, esbuild's and Node's versions, all checked
 * on every start (a few ms), and rebuilt when anything differs.
 *
 * Left out of the bundle, so loaded from node_modules when used: what only some commands need and is large
 * (@alicloud/fc2 for invoke and --fanout, Serverless Devs for doctor), what must not be bundled (esbuild,
 * playwright-core), and what urllib requires lazily and this CLI never needs (proxy-agent, not installed; iconv-lite).
 *
 * Falls back to tsx, from the sources, when esbuild is missing or the cache cannot be written (read-only checkout);
 * OSS_AUTO_ENCRYPT_NO_BUNDLE=1 forces that path.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'src', 'cli', 'main.ts');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'oss-auto-encrypt');
const BUNDLE = path.join(CACHE, 'cli.js');
const MANIFEST = path.join(CACHE, 'cli.json');
const EXTERNAL = ['@alicloud/fc2', '@serverless-devs/s', 'esbuild', 'playwright-core', 'tsx', 'proxy-agent', 'iconv-lite'];

function esbuildVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * Fingerprint of the inputs (paths relative to ROOT): our files by content, package files by size and mtime
 * (npm rewrites them on every install or update), or undefined when one is missing.
 */
function fingerprint(inputs, salt) {
  const h = createHash('sha256').update(salt);
  for (const f of inputs) {
    const file = path.join(ROOT, f);
    try {
      if (f.startsWith('node_modules/')) {
        const s = fs.statSync(file);
        h.update(`${f}\0${s.size}\0${s.mtimeMs}\0`);
      } else {
        const data = fs.readFileSync(file);
        h.update(`${f}\0${data.length}\0`).update(data);
      }
    } catch {
      return undefined;
    }
  }
  return h.digest('hex');
}

const saltOf = (version) => `${version}\0${process.version}\0${fs.readFileSync(__filename, 'utf8')}`;

/** True if the cached bundle was built from exactly the current inputs. */
function fresh(version) {
  try {
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
    return Array.isArray(manifest.inputs) && fingerprint(manifest.inputs, saltOf(version)) === manifest.hash && fs.existsSync(BUNDLE);
  } catch {
    return false;
  }
}

function build(version) {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    external: EXTERNAL,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = [...Object.keys(result.metafile.inputs), 'tsconfig.json', 'package.json'].sort();
  const hash = fingerprint(inputs, saltOf(version));
  if (hash === undefined) return false;
  fs.mkdirSync(CACHE, { recursive: true });
  // Each file written under a unique name, then renamed: a CLI starting meanwhile reads a whole old or new file,
  // and a bundle paired with another build's manifest is merely rebuilt.
  const tmp = `.${process.pid}.${Date.now()}`;
  fs.writeFileSync(BUNDLE + tmp, result.outputFiles[0].contents);
  fs.writeFileSync(MANIFEST + tmp, JSON.stringify({ hash, inputs }));
  fs.renameSync(BUNDLE + tmp, BUNDLE);
  fs.renameSync(MANIFEST + tmp, MANIFEST);
  return true;
}

/** The CLI module: `{ main(argv): Promise<number> }`. */
function loadCli() {
  const version = process.env.OSS_AUTO_ENCRYPT_NO_BUNDLE === '1' ? undefined : esbuildVersion();
  if (version !== undefined) {
    let ok = fresh(version);
    if (!ok) {
      try {
        ok = build(version);
      } catch {
        ok = false; // a read-only cache, or sources that do not build: tsx then reports the latter in full
      }
    }
    if (ok) return require(BUNDLE);
  }
  require('tsx/cjs');
  return require(ENTRY);
}

module.exports = { loadCli, BUNDLE };
