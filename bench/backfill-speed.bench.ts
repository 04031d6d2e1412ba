/**
 * The backfill CLI started as the README says (`npm run backfill -- …`), against a bare ali-oss pool of the same
 * width in its own plain-Node process (bench/bare-pool.cjs) making the same requests per object (HEAD,
 * GetObjectAcl, CopyObject guarded by the ETag), side by side in one run on one local OSS (its own process, 10 ms
 * injected latency per request). Wall time from spawn to exit, so start-up is included on both sides; the CLI's
 * start-up alone (`npm run backfill -- --help`) is shown too. A third row runs the same CLI from the sources through
 * tsx (OSS_AUTO_ENCRYPT_NO_BUNDLE=1), as it ran before bin/load-cli.js bundled it.
 *
 * Env: SPEED_BENCH_OBJECTS (default 6000), SPEED_BENCH_CONCURRENCY (default 64), SPEED_BENCH_ROUNDS (default 3).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { loadavg } from 'node:os';
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

/** Wall seconds of a child process from spawn to exit; throws on a non-zero exit. */
function timed(cmd: string, args: string[], env: Record<string, string>): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(-500)}`));
      else resolve({ seconds, stdout });
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

async function measure(round: number, side: 'bare' | 'cli' | 'tsx'): Promise<number> {
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
      return b.seconds;
    }
    const c = await timed('npm', ['run', '-s', 'backfill', '--', '--bucket', bucket, '--prefix', prefix, '--region', s.region, '--endpoint', s.endpoint, '--concurrency', String(CONCURRENCY), '--json'], {
      ...env,
      ...(side === 'tsx' ? { OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' } : {}),
    });
    const summary = JSON.parse(c.stdout) as { encrypted: number };
    if (summary.encrypted !== OBJECTS) throw new Error(`the CLI (${side}) encrypted ${summary.encrypted} of ${OBJECTS} objects`);
    return c.seconds;
  } finally {
    s.stop();
  }
}

export async function run(): Promise<void> {
  const env = { LOG_LEVEL: 'silent' };
  // The first start after a change builds the CLI bundle (bin/load-cli.js); that is not what is measured.
  await timed('npm', ['run', '-s', 'backfill', '--', '--help'], env);
  const times = { bare: [] as number[], cli: [] as number[], tsx: [] as number[] };
  const startup: number[] = [];
  const startupTsx: number[] = [];
  // Interleaved rounds, order rotated each round, medians reported: a shared machine's load hits every side alike.
  const orders: Array<Array<keyof typeof times>> = [['bare', 'cli', 'tsx'], ['cli', 'tsx', 'bare'], ['tsx', 'bare', 'cli']];
  for (let round = 0; round < ROUNDS; round++) {
    startup.push((await timed('npm', ['run', '-s', 'backfill', '--', '--help'], env)).seconds);
    startupTsx.push((await timed('npm', ['run', '-s', 'backfill', '--', '--help'], { ...env, OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' })).seconds);
    for (const side of orders[round % orders.length] as Array<keyof typeof times>) times[side].push(await measure(round, side));
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  const [b, c, t] = [median(times.bare), median(times.cli), median(times.tsx)];
  const row = (label: string, x: number, xs: number[]) => `  ${label.padEnd(58)}${x.toFixed(2)} s  ${String(Math.round(OBJECTS / x)).padStart(5)} objects/s  ${(x / b).toFixed(2)}×   (rounds: ${fmt(xs)})\n`;
  process.stdout.write(`${OBJECTS} plaintext objects, ${LATENCY_MS} ms per request, ${CONCURRENCY} wide, HEAD + GetObjectAcl + conditional CopyObject each; wall time from spawn to exit, median of ${ROUNDS} interleaved rounds, a fresh local OSS for each run:\n`);
  process.stdout.write(row('bare ali-oss pool (node bench/bare-pool.cjs)', b, times.bare));
  process.stdout.write(row('npm run backfill -- … (as the README says)', c, times.cli));
  process.stdout.write(row('the same from the sources through tsx (before the bundle)', t, times.tsx));
  process.stdout.write(`  CLI / bare pool: ${(c / b).toFixed(2)}× (target ≤ 1.10×); start-up alone (npm run backfill -- --help): ${median(startup).toFixed(2)} s, through tsx ${median(startupTsx).toFixed(2)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
}
