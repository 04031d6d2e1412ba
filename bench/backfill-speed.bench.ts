/**
 * The backfill CLI started as the README says (`npm run backfill -- …`), against a bare ali-oss pool of the same
 * width in its own plain-Node process (bench/bare-pool.cjs) making the same requests per object (HEAD,
 * GetObjectAcl, CopyObject guarded by the ETag), side by side in one run on one local OSS (its own process, 10 ms
 * injected latency per request). Wall time from spawn to exit, so start-up is included on both sides; the CLI's
 * start-up alone (`npm run backfill -- --help`) is shown too.
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
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local-oss exited with ${code}`)));
  });
  return { ...(JSON.parse(first) as Omit<Server, 'stop'>), stop: () => child.kill('SIGTERM') };
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

export async function run(): Promise<void> {
  const bucket = 'bench-speed';
  const s = await startServer(bucket);
  try {
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: s.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: s.accessKeySecret, LOG_LEVEL: 'silent' };
    const bare: number[] = [];
    const cli: number[] = [];
    const startup: number[] = [];
    // Interleaved rounds, fresh objects each time, medians reported: a shared machine's load hits both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      await seed(s, bucket, `bare${round}/`);
      await seed(s, bucket, `cli${round}/`);
      startup.push((await timed('npm', ['run', '-s', 'backfill', '--', '--help'], env)).seconds);
      const b = await timed(process.execPath, [join('bench', 'bare-pool.cjs')], { ...env, ENDPOINT: s.endpoint, REGION: s.region, BUCKET: bucket, PREFIX: `bare${round}/`, CONCURRENCY: String(CONCURRENCY) });
      const c = await timed('npm', ['run', '-s', 'backfill', '--', '--bucket', bucket, '--prefix', `cli${round}/`, '--region', s.region, '--endpoint', s.endpoint, '--concurrency', String(CONCURRENCY), '--json'], env);
      const bareObjects = (JSON.parse(b.stdout) as { objects: number }).objects;
      const summary = JSON.parse(c.stdout) as { encrypted: number };
      if (bareObjects !== OBJECTS || summary.encrypted !== OBJECTS) throw new Error(`not every object was encrypted: bare ${bareObjects}, cli ${summary.encrypted} of ${OBJECTS}`);
      bare.push(b.seconds);
      cli.push(c.seconds);
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    const [b, c] = [median(bare), median(cli)];
    process.stdout.write(`${OBJECTS} plaintext objects, ${LATENCY_MS} ms per request, ${CONCURRENCY} wide, HEAD + GetObjectAcl + conditional CopyObject each; wall time from spawn to exit, median of ${ROUNDS} interleaved rounds:\n`);
    process.stdout.write(`  bare ali-oss pool (node bench/bare-pool.cjs)    ${b.toFixed(2)} s  ${Math.round(OBJECTS / b)} objects/s   (rounds: ${fmt(bare)})\n`);
    process.stdout.write(`  npm run backfill -- …                           ${c.toFixed(2)} s  ${Math.round(OBJECTS / c)} objects/s   (rounds: ${fmt(cli)})\n`);
    process.stdout.write(`  CLI / bare pool: ${(c / b).toFixed(2)}× (target ≤ 1.10×); start-up alone (npm run backfill -- --help): ${median(startup).toFixed(2)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  } finally {
    s.stop();
  }
}
