/**
 * The backfill CLI started as the README says (`npm run backfill -- …`), against a bare ali-oss pool of the same
 * width in its own plain-Node process (bench/bare-pool.cjs) making the same requests per object (HEAD,
 * GetObjectAcl, CopyObject guarded by the ETag), side by side in one run, each run on a fresh local OSS in its own
 * process (10 ms injected latency per request). Wall time from spawn to exit, so start-up is included on both sides.
 * A third row runs the same CLI from the sources through tsx (OSS_AUTO_ENCRYPT_NO_BUNDLE=1), as it ran before
 * bin/load-cli.js bundled it.
 *
 * Wall time alone flatters the CLI: the local OSS shares the two cores and costs both sides the same, so the client
 * CPU of every Node process of a run (npm's own included, bench/cpu-usage.cjs) is shown beside it. The start-up line
 * splits npm's share from the CLI's, and shows what the bare pool pays to load ali-oss module by module.
 *
 * Env: SPEED_BENCH_OBJECTS (default 6000), SPEED_BENCH_CONCURRENCY (default 64), SPEED_BENCH_ROUNDS (default 3).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import OSS from 'ali-oss';

const ROOT = join(__dirname, '..');
const LATENCY_MS = 10;
const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
const OBJECTS = num(process.env.SPEED_BENCH_OBJECTS, 6000);
const CONCURRENCY = num(process.env.SPEED_BENCH_CONCURRENCY, 64);
const ROUNDS = num(process.env.SPEED_BENCH_ROUNDS, 3);

interface Server { endpoint: string; region: string; accessKeyId: string; accessKeySecret: string; stop: () => void }

async function startServer(bucket: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'local-oss', '--port', '0', '--latency-ms', String(LATENCY_MS), '--bucket', bucket], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its stderr is shown only if it fails (it says "shutting down" on every stop).
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let stopping = false;
  child.once('exit', (code) => {
    if (!stopping) process.stderr.write(`local-oss exited with ${code}: ${stderr}\n`);
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local-oss exited with ${code}: ${stderr}`)));
  });
  return {
    ...(JSON.parse(first) as Omit<Server, 'stop'>),
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
    },
  };
}

/**
 * Wall seconds of a child process from spawn to exit, and the CPU seconds of every Node process it ran (npm's own
 * included; bench/cpu-usage.cjs); throws on a non-zero exit.
 */
function timed(cmd: string, args: string[], env: Record<string, string>): Promise<{ seconds: number; cpuSeconds: number; stdout: string }> {
  const cpuFile = join(mkdtempSync(join(tmpdir(), 'bench-cpu-')), 'cpu.jsonl');
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(join(__dirname, 'cpu-usage.cjs'))}`.trim();
  const cpuSeconds = () => {
    try {
      return readFileSync(cpuFile, 'utf8').trim().split('\n').reduce((sum, line) => sum + (JSON.parse(line) as { cpuMs: number }).cpuMs, 0) / 1000;
    } catch {
      return NaN;
    }
  };
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions, BENCH_CPU_FILE: cpuFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(-500)}`));
      else resolve({ seconds, cpuSeconds: cpuSeconds(), stdout });
    });
  });
}

async function seed(s: Server, bucket: string, prefix: string): Promise<void> {
  const c = new OSS({ endpoint: s.endpoint, region: `oss-${s.region}`, accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, bucket });
  let next = 0;
  const body = Buffer.from('plaintext object body\n');
  await Promise.all(Array.from({ length: 128 }, async () => {
    while (next < OBJECTS) {
      const i = next++;
      await c.put(`${prefix}${String(i).padStart(6, '0')}.txt`, body);
    }
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(round: number, side: 'bare' | 'cli' | 'tsx'): Promise<{ seconds: number; cpuSeconds: number }> {
  // A fresh local OSS per measurement: its per-request cost grows with what it holds (GC over a larger heap), so
  // sharing one would favour whichever side ran first.
  const bucket = 'bench-speed';
  const s = await startServer(bucket);
  try {
    const prefix = `${side}${round}/`;
    await seed(s, bucket, prefix);
    // Every object older than a second, so no run waits for the guard's settle (src/core/guard.ts).
    await new Promise((r) => setTimeout(r, 1100));
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: s.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: s.accessKeySecret, LOG_LEVEL: 'silent' };
    if (side === 'bare') {
      const b = await timed(process.execPath, [join('bench', 'bare-pool.cjs')], { ...env, ENDPOINT: s.endpoint, REGION: s.region, BUCKET: bucket, PREFIX: prefix, CONCURRENCY: String(CONCURRENCY) });
      const objects = (JSON.parse(b.stdout) as { objects: number }).objects;
      if (objects !== OBJECTS) throw new Error(`the bare pool encrypted ${objects} of ${OBJECTS} objects`);
      return b;
    }
    const c = await timed('npm', ['run', '-s', 'backfill', '--', '--bucket', bucket, '--prefix', prefix, '--region', s.region, '--endpoint', s.endpoint, '--concurrency', String(CONCURRENCY), '--json'], {
      ...env,
      ...(side === 'tsx' ? { OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' } : {}),
    });
    const summary = JSON.parse(c.stdout) as { encrypted: number };
    if (summary.encrypted !== OBJECTS) throw new Error(`the CLI (${side}) encrypted ${summary.encrypted} of ${OBJECTS} objects`);
    return c;
  } finally {
    s.stop();
  }
}

export async function run(): Promise<void> {
  const env = { LOG_LEVEL: 'silent' };
  // The first start after a change builds the CLI bundle (bin/load-cli.js); that is not what is measured.
  await timed('npm', ['run', '-s', 'backfill', '--', '--help'], env);
  type Side = 'bare' | 'cli' | 'tsx';
  const wall: Record<Side, number[]> = { bare: [], cli: [], tsx: [] };
  const cpu: Record<Side, number[]> = { bare: [], cli: [], tsx: [] };
  const startup = { npm: [] as number[], bin: [] as number[], tsx: [] as number[], aliOss: [] as number[] };
  // Interleaved rounds, order rotated each round, medians reported: a shared machine's load hits every side alike.
  const orders: Side[][] = [['bare', 'cli', 'tsx'], ['cli', 'tsx', 'bare'], ['tsx', 'bare', 'cli']];
  for (let round = 0; round < ROUNDS; round++) {
    startup.npm.push((await timed('npm', ['run', '-s', 'backfill', '--', '--help'], env)).seconds);
    startup.bin.push((await timed(process.execPath, ['bin/oss-auto-encrypt.js', 'backfill', '--help'], env)).seconds);
    startup.tsx.push((await timed('npm', ['run', '-s', 'backfill', '--', '--help'], { ...env, OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' })).seconds);
    startup.aliOss.push((await timed(process.execPath, ['-e', "require('ali-oss')"], env)).seconds);
    for (const side of orders[round % orders.length] as Side[]) {
      const m = await measure(round, side);
      wall[side].push(m.seconds);
      cpu[side].push(m.cpuSeconds);
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  const b = median(wall.bare);
  const bc = median(cpu.bare);
  const row = (label: string, side: Side) => {
    const [w, c] = [median(wall[side]), median(cpu[side])];
    return `  ${label.padEnd(48)}${w.toFixed(2)} s ${String(Math.round(OBJECTS / w)).padStart(6)}/s ${(w / b).toFixed(2).padStart(6)}× ${c.toFixed(2).padStart(7)} s ${((c * 1000) / OBJECTS).toFixed(3).padStart(7)} ms ${(c / bc).toFixed(2).padStart(6)}×   (wall: ${fmt(wall[side])})\n`;
  };
  process.stdout.write(`${OBJECTS} plaintext objects, ${LATENCY_MS} ms per request, ${CONCURRENCY} wide, HEAD + GetObjectAcl + conditional CopyObject each; medians of ${ROUNDS} interleaved rounds, a fresh local OSS (its own process) for each run.\n`);
  process.stdout.write(`Wall time from spawn to exit; client CPU is every Node process of the run (npm's too), the local OSS's not:\n`);
  process.stdout.write(`  ${'run'.padEnd(48)}${'wall'.padStart(6)} ${'objects'.padStart(8)} ${'ratio'.padStart(6)}  ${'client CPU'.padStart(8)} ${'per object'.padStart(10)} ${'ratio'.padStart(6)}\n`);
  process.stdout.write(row('bare ali-oss pool (node bench/bare-pool.cjs)', 'bare'));
  process.stdout.write(row('npm run backfill -- … (as the README says)', 'cli'));
  process.stdout.write(row('the same through tsx (before the bundle)', 'tsx'));
  const c = median(wall.cli);
  process.stdout.write(`  CLI / bare pool, wall time: ${(c / b).toFixed(2)}× (target ≤ 1.10×); client CPU: ${(median(cpu.cli) / bc).toFixed(2)}×\n`);
  process.stdout.write(`  start-up alone: npm run backfill -- --help ${median(startup.npm).toFixed(2)} s (node bin/oss-auto-encrypt.js backfill --help ${median(startup.bin).toFixed(2)} s of it; through tsx ${median(startup.tsx).toFixed(2)} s); the bare pool's require('ali-oss') ${median(startup.aliOss).toFixed(2)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
}
