#!/usr/bin/env node
/**
 * The deployable function: src/function/index.ts bundled by esbuild into ONE minified CommonJS file
 * (dist/fc/index.js, exporting `handler` and `initialize`), so FC uploads and loads one small file
 * instead of dist/ + node_modules. Called by `npm run build` after tsc; s.yaml deploys dist/fc.
 *
 *   node scripts/bundle.mjs [--outdir dist/fc]
 *
 * The build fails if anything but the handler's own code got in (the local OSS, CLIs, deploy
 * tooling, @alicloud/fc2): the function must never depend on them.
 */
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outIdx = argv.indexOf('--outdir');
const outdir = resolve(root, outIdx >= 0 && argv[outIdx + 1] ? argv[outIdx + 1] : 'dist/fc');
const entry = join(root, 'src/function/index.ts');

/** Inputs that must never reach the bundle (path relative to the repo root). */
const FORBIDDEN = [
  /^src\/local-oss\//,
  /^src\/local-fc\//,
  /^src\/cli\//,
  /^src\/deploy\//,
  /^src\/backfill\//,
  /^src\/remote\//,
  /node_modules\/@alicloud\/fc2\//,
  /node_modules\/@serverless-devs\//,
  /node_modules\/esbuild\//,
  /node_modules\/typescript\//,
];

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: [entry],
  outfile: join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // The error classes set `name = new.target.name`; minified class names would make every error "e".
  keepNames: true,
  // External map (no sourceMappingURL comment), moved out of the deployed directory below: stack
  // traces from FC logs can be mapped back offline without uploading it.
  sourcemap: 'external',
  sourcesContent: false,
  legalComments: 'linked',
  // urllib (under ali-oss) requires proxy-agent lazily, only when URLLIB_ENABLE_PROXY is set; it is not
  // installed, so the unbundled code fails the same way. Left external rather than made to resolve.
  // iconv-lite (~480 KiB, half the bundle) is required lazily by urllib only for a response charset
  // Node cannot decode (urllib/lib/urllib.js decodeBodyByCharset), inside a try that leaves the body
  // untouched on failure; OSS answers UTF-8 XML, so the function never needs it.
  external: ['proxy-agent', 'iconv-lite'],
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
});

const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, resolve(root, p)).replaceAll('\\', '/'));
const leaked = inputs.filter((p) => FORBIDDEN.some((re) => re.test(p)));
if (leaked.length) {
  process.stderr.write(`bundle: the function bundle must not contain these modules (the function imports something it must not):\n  ${leaked.join('\n  ')}\n`);
  process.exit(1);
}

// Sanity: a CommonJS module exporting both entry points (checked textually so the build does not run the code).
const code = readFileSync(join(outdir, 'index.js'), 'utf8');
for (const name of ['handler', 'initialize']) {
  if (!new RegExp(`\\b${name}\\s*:\\s*\\(\\)\\s*=>`).test(code)) {
    process.stderr.write(`bundle: dist/fc/index.js does not export "${name}"; src/function/index.ts must export it.\n`);
    process.exit(1);
  }
}

// Build artefacts that are not deployed go next to the bundle directory, not in it (s.yaml uploads all of dist/fc).
const metaDir = `${outdir}.meta`;
rmSync(metaDir, { recursive: true, force: true });
mkdirSync(metaDir, { recursive: true });
renameSync(join(outdir, 'index.js.map'), join(metaDir, 'index.js.map'));
writeFileSync(join(metaDir, 'meta.json'), JSON.stringify(result.metafile));
const bytes = statSync(join(outdir, 'index.js')).size;
const gz = gzipSync(code, { level: 9 }).length;
const packages = new Set(inputs.flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1] ?? []));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
process.stdout.write(
  `bundle: ${relative(root, join(outdir, 'index.js'))} ${kib(bytes)} (gzip ${kib(gz)}), ${inputs.length} modules from ${packages.size} packages\n`,
);
