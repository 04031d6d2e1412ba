/**
 * Bundle benchmark (`npm run bench -- bundle`): the deployable bundle's size, and the handler's module
 * load time from the deployed entry (dist/fc/index.js: the bundle with its V8 code cache), from the
 * bundle alone (dist/fc/bundle.js, no cache) and from the unbundled tsc output with its node_modules,
 * each the median of BENCH_RUNS (default 21) fresh `node` processes, run interleaved so all see the
 * same machine load.
 * The load time is measured inside each process (hrtime around the require), so Node's own start-up
 * is excluded; the whole-process wall time is printed as well.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..');
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 21));
const VARIANTS = {
  entry: join(ROOT, 'dist/fc/index.js'),
  'no cache': join(ROOT, 'dist/fc/bundle.js'),
  unbundled: join(ROOT, 'dist/function/index.js'),
} as const;
type Variant = keyof typeof VARIANTS;

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** One fresh process: returns [ms spent in require(file), whole-process wall ms]. */
function loadOnce(file: string): Promise<[number, number]> {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    // Only PATH: the handler reads its policy at load, and defaults are what we want to time.
    execFile(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } }, (err, stdout) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e6;
      if (err) reject(new Error(`loading ${file} failed: ${err.message}`));
      else resolve([Number(stdout), wall]);
    });
  });
}

/** Bytes and files on disk of the production dependency tree an unbundled deployment would upload. */
function prodDependencySize(): { bytes: number; files: number; packages: number } {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
  const dirs = [...new Set(out.split('\n').filter((d) => d.includes('node_modules')))];
  let bytes = 0;
  let files = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue; // nested packages are listed (and counted) on their own
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += statSync(p).size;
        files += 1;
      }
    }
  };
  dirs.forEach(walk);
  return { bytes, files, packages: dirs.length };
}

export async function run(): Promise<void> {
  process.stdout.write('building (npm run build: tsc + esbuild bundle) …\n');
  process.stdout.write(execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' }));

  const fc = join(ROOT, 'dist/fc');
  const files = readdirSync(fc).map((f) => readFileSync(join(fc, f)));
  const code = readFileSync(VARIANTS['no cache']);
  const deps = prodDependencySize();
  process.stdout.write(`bundle size      bundle.js ${kib(code.length)} (gzip ${kib(gzipSync(code, { level: 9 }).length)}); `);
  process.stdout.write(`dist/fc/ with the code cache: ${files.length} files ${kib(files.reduce((n, b) => n + b.length, 0))} (gzip ${kib(gzipSync(Buffer.concat(files), { level: 9 }).length)})\n`);
  process.stdout.write(`unbundled upload dist/ + production node_modules: ${mib(deps.bytes)} in ${deps.files} files from ${deps.packages} packages\n`);

  const names = Object.keys(VARIANTS) as Variant[];
  // Warm the OS file cache for all before measuring.
  for (const v of names) await loadOnce(VARIANTS[v]);
  const load = Object.fromEntries(names.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const wall = Object.fromEntries(names.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  for (let i = 0; i < RUNS; i++) {
    // Rotate which goes first so none benefits systematically from the others.
    const order = names.map((_, j) => names[(i + j) % names.length] as Variant);
    for (const v of order) {
      const [l, w] = await loadOnce(VARIANTS[v]);
      load[v].push(l);
      wall[v].push(w);
    }
  }
  const row = (name: string, xs: number[]) =>
    `  ${name.padEnd(10)} median ${ms(quantile(xs, 0.5)).padStart(9)}   (p25 ${ms(quantile(xs, 0.25))}, p75 ${ms(quantile(xs, 0.75))})\n`;
  const ratios = (xs: Record<Variant, number[]>) =>
    `  ratio      entry / unbundled = ${(quantile(xs.entry, 0.5) / quantile(xs.unbundled, 0.5)).toFixed(2)}, ` +
    `bundle without cache / unbundled = ${(quantile(xs['no cache'], 0.5) / quantile(xs.unbundled, 0.5)).toFixed(2)}\n`;
  process.stdout.write(`module load time (require() inside the process), ${RUNS} fresh node processes each, interleaved:\n`);
  for (const v of names) process.stdout.write(row(v, load[v]));
  process.stdout.write(ratios(load));
  process.stdout.write(`whole process (node -e "require(…)") wall time:\n`);
  for (const v of names) process.stdout.write(row(v, wall[v]));
  process.stdout.write(ratios(wall));
}
