/**
 * Backfill vs a naive sequential loop (HEAD then copy, one object at a time, as the seed document's
 * walkthrough repeated per object), side by side on the same local OSS with a fixed 10 ms latency per
 * request. The local OSS runs in its own process (started through its CLI), as a real OSS would be
 * remote, so the client's figures are not mixed with the server's CPU.
 *
 * Ideal rate = concurrency ÷ (requests per object × latency). Both sides use PRESERVE_ACL=false so
 * they make the same 2 requests per object (HEAD + CopyObject); listing adds 1 per 1000 objects.
 *
 * Env: BACKFILL_BENCH_OBJECTS (default 5000), BACKFILL_BENCH_LARGE (default 50000; 0 skips the
 * memory comparison), BACKFILL_BENCH_CONCURRENCY (default 64), BACKFILL_BENCH_SEQUENTIAL (default 200).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import OSS from 'ali-oss';
import { loadPolicy } from '../src/config';
import { createLogger } from '../src/log';
import { runBackfill, type BackfillSummary } from '../src/backfill/run';

const LATENCY_MS = 10;
const REQUESTS_PER_OBJECT = 2;
const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
const OBJECTS = num(process.env.BACKFILL_BENCH_OBJECTS, 5000);
const LARGE = num(process.env.BACKFILL_BENCH_LARGE, 50_000);
/** Pool sizes measured side by side; the last one is also used for the large (memory) run. */
const CONCURRENCIES = (process.env.BACKFILL_BENCH_CONCURRENCY ?? '16,32,64').split(',').map((c) => num(c.trim(), 64));
const CONCURRENCY = CONCURRENCIES[CONCURRENCIES.length - 1];
const SEQUENTIAL = num(process.env.BACKFILL_BENCH_SEQUENTIAL, 200);

interface Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  child: ChildProcess;
}

async function startServer(buckets: string[]): Promise<Server> {
  const root = join(__dirname, '..');
  // `node --import tsx` keeps the server in one process, so its CPU time can be read from /proc.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'local-oss', '--port', '0', '--latency-ms', String(LATENCY_MS), ...buckets.flatMap((b) => ['--bucket', b])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local-oss exited with ${code}`)));
  });
  const info = JSON.parse(first) as Omit<Server, 'child'>;
  return { ...info, child };
}

function client(s: Server, bucket: string): OSS {
  return new OSS({ endpoint: s.endpoint, region: `oss-${s.region}`, accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, bucket });
}

async function seed(c: OSS, prefix: string, n: number): Promise<void> {
  let next = 0;
  const body = Buffer.from('plaintext object body\n');
  await Promise.all(
    Array.from({ length: 128 }, async () => {
      while (next < n) {
        const i = next++;
        await c.put(`${prefix}${String(i).padStart(6, '0')}.txt`, body);
      }
    }),
  );
}

/** The naive loop: HEAD, then CopyObject onto itself with SSE, one object at a time. */
async function sequential(c: OSS, prefix: string, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const key = `${prefix}${String(i).padStart(6, '0')}.txt`;
    const h = await c.head(key);
    if (h.res.headers['x-oss-server-side-encryption' as keyof object]) continue;
    await c.copy(key, key, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  }
  return (n * 1000) / (performance.now() - started);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

interface Measured { summary: BackfillSummary; rate: number; peakRssMb: number; peakHeapMb: number; clientCpuMsPerObject: number; serverCpuMsPerObject?: number }

async function backfill(s: Server, bucket: string, prefix: string, concurrency: number): Promise<Measured> {
  global.gc?.();
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 50);
  const cpu0 = process.cpuUsage();
  const server0 = cpuSecondsOf(s.child.pid);
  const started = performance.now();
  const summary = await runBackfill({
    bucket,
    prefix,
    connection: { region: s.region, endpoint: s.endpoint, credentials: { accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret } },
    policy: loadPolicy({ PRESERVE_ACL: 'false' }),
    logger: createLogger({ level: 'silent' }),
    concurrency,
  });
  const rate = (summary.finishedThisRun * 1000) / (performance.now() - started);
  const cpu = process.cpuUsage(cpu0);
  const server1 = cpuSecondsOf(s.child.pid);
  clearInterval(timer);
  sample();
  if (summary.failed > 0 || summary.encrypted !== summary.finishedThisRun) throw new Error(`backfill did not encrypt everything: ${JSON.stringify(summary)}`);
  const n = Math.max(1, summary.finishedThisRun);
  return {
    summary,
    rate,
    peakRssMb: peakRss / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
    clientCpuMsPerObject: (cpu.user + cpu.system) / 1000 / n,
    ...(server0 !== undefined && server1 !== undefined ? { serverCpuMsPerObject: ((server1 - server0) * 1000) / n } : {}),
  };
}

const cpuCell = (m: Measured) => `${m.clientCpuMsPerObject.toFixed(2)}${m.serverCpuMsPerObject !== undefined ? ` + ${m.serverCpuMsPerObject.toFixed(2)}` : ''}`;

export async function run(): Promise<void> {
  const bucket = 'bench-backfill';
  const server = await startServer([bucket]);
  try {
    const c = client(server, bucket);
    const idealOf = (conc: number) => conc / (REQUESTS_PER_OBJECT * (LATENCY_MS / 1000));
    process.stdout.write(`local OSS in a child process, ${LATENCY_MS} ms per request; ${REQUESTS_PER_OBJECT} requests per object (HEAD + CopyObject)\n`);

    let t = performance.now();
    await seed(c, 'seq/', SEQUENTIAL);
    for (const conc of CONCURRENCIES) await seed(c, `c${conc}/`, OBJECTS);
    process.stdout.write(`seeded ${SEQUENTIAL + OBJECTS * CONCURRENCIES.length} objects in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

    const seqRate = await sequential(c, 'seq/', SEQUENTIAL);
    const rows: string[][] = [
      ['', 'objects', 'objects/s', 'vs sequential', 'of ideal', 'peak RSS MB', 'peak heap MB', 'CPU ms/object client+server'],
      ['sequential loop', String(SEQUENTIAL), seqRate.toFixed(1), '1.0×', `${((seqRate / idealOf(1)) * 100).toFixed(0)}% (ideal ${idealOf(1).toFixed(0)}/s)`, '', '', ''],
    ];
    const row = (conc: number, m: Measured) => [
      `backfill c=${conc}`,
      String(m.summary.finishedThisRun),
      m.rate.toFixed(1),
      `${(m.rate / seqRate).toFixed(1)}×`,
      `${((m.rate / idealOf(conc)) * 100).toFixed(0)}% (ideal ${idealOf(conc).toFixed(0)}/s)`,
      m.peakRssMb.toFixed(0),
      m.peakHeapMb.toFixed(0),
      cpuCell(m),
    ];
    let cpuPerObject = 0;
    for (const conc of CONCURRENCIES) {
      const m = await backfill(server, bucket, `c${conc}/`, conc);
      cpuPerObject = m.clientCpuMsPerObject + (m.serverCpuMsPerObject ?? 0);
      rows.push(row(conc, m));
    }
    if (LARGE > 0) {
      t = performance.now();
      await seed(c, 'large/', LARGE);
      process.stdout.write(`seeded ${LARGE} more objects in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      rows.push(row(CONCURRENCY, await backfill(server, bucket, 'large/', CONCURRENCY)));
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(r.map((cell, i) => cell.padEnd(widths[i])).join('  ') + '\n');
    const cores = cpus().length;
    process.stdout.write(
      `CPU ceiling on this machine: ${cores} cores ÷ ${cpuPerObject.toFixed(2)} ms CPU per object (client + local OSS) ≈ ${((cores * 1000) / cpuPerObject).toFixed(0)} objects/s; ` +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine lowers the concurrent figures, not the sequential one)\n`,
    );
  } finally {
    server.child.kill('SIGTERM');
  }
}
