/**
 * Bundle benchmark (`npm run bench -- bundle`): the deployable bundle's size, and the handler's module
 * load time from the bundle vs from the unbundled tsc output with its node_modules, each the median
 * of BENCH_RUNS (default 21) fresh `node` processes, run interleaved so both see the same machine load.
 * The load time is measured inside each process (hrtime around the require), so Node's own start-up
 * is excluded; the whole-process wall time is printed as well.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..');
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 21));
const BUNDLE = join(ROOT, 'dist/fc/index.js');
const UNBUNDLED = join(ROOT, 'dist/function/index.js');

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

  const code = readFileSync(BUNDLE);
  const deps = prodDependencySize();
  process.stdout.write(`bundle size      ${kib(code.length)} (gzip ${kib(gzipSync(code, { level: 9 }).length)}), 1 file\n`);
  process.stdout.write(`unbundled upload dist/ + production node_modules: ${mib(deps.bytes)} in ${deps.files} files from ${deps.packages} packages\n`);

  // Warm the OS file cache for both before measuring.
  await loadOnce(BUNDLE);
  await loadOnce(UNBUNDLED);
  const load = { bundle: [] as number[], unbundled: [] as number[] };
  const wall = { bundle: [] as number[], unbundled: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first so neither benefits systematically from the other.
    const order = i % 2 === 0 ? (['bundle', 'unbundled'] as const) : (['unbundled', 'bundle'] as const);
    for (const which of order) {
      const [l, w] = await loadOnce(which === 'bundle' ? BUNDLE : UNBUNDLED);
      load[which].push(l);
      wall[which].push(w);
    }
  }
  const row = (name: string, xs: number[]) =>
    `  ${name.padEnd(10)} median ${ms(quantile(xs, 0.5)).padStart(9)}   (p25 ${ms(quantile(xs, 0.25))}, p75 ${ms(quantile(xs, 0.75))})\n`;
  process.stdout.write(`module load time (require() inside the process), ${RUNS} fresh node processes each, interleaved:\n`);
  process.stdout.write(row('bundle', load.bundle) + row('unbundled', load.unbundled));
  process.stdout.write(`  ratio      bundle / unbundled = ${(quantile(load.bundle, 0.5) / quantile(load.unbundled, 0.5)).toFixed(2)}\n`);
  process.stdout.write(`whole process (node -e "require(…)") wall time:\n`);
  process.stdout.write(row('bundle', wall.bundle) + row('unbundled', wall.unbundled));
  process.stdout.write(`  ratio      bundle / unbundled = ${(quantile(wall.bundle, 0.5) / quantile(wall.unbundled, 0.5)).toFixed(2)}\n`);
}
