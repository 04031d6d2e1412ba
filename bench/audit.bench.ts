/**
 * Audit and inventory-driven backfill, side by side in one run.
 *
 * 1. A 100,000-row inventory (90% encrypted, 50 prefixes, 3 storage classes) audited from its manifest: wall time,
 *    rows/s, peak heap, and the requests made (none; the run has no endpoint at all).
 * 2. A bucket that is 90% encrypted, in two identical copies on one local OSS with 10 ms injected latency per
 *    request: the audit and the backfill, each from the bucket's inventory and from a listing. Requests per object
 *    (from the local OSS's request log) and objects per second. The local OSS runs in this process here (the
 *    inventory is written from its state), so client and server share the CPU alike on both sides.
 *
 * Env: AUDIT_BENCH_ROWS (default 100000), AUDIT_BENCH_OBJECTS (default 2000), AUDIT_BENCH_CONCURRENCY (default 64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { loadPolicy } from '../src/config';
import { createLogger } from '../src/log';
import { runAudit } from '../src/audit/run';
import { runBackfill } from '../src/backfill/run';
import { startLocalOss, writeInventoryFiles, type InventoryRecord, type LocalOss } from '../src/local-oss';

const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
const ROWS = num(process.env.AUDIT_BENCH_ROWS, 100_000);
const OBJECTS = num(process.env.AUDIT_BENCH_OBJECTS, 2000);
const CONCURRENCY = num(process.env.AUDIT_BENCH_CONCURRENCY, 64);
const LATENCY_MS = 10;

function* syntheticRows(n: number): Generator<InventoryRecord> {
  const classes = ['Standard', 'IA', 'Archive'];
  for (let i = 0; i < n; i++) {
    yield {
      key: `team-${i % 50}/day ${i % 31}/obj+${i}%.bin`,
      size: 1000 + ((i * 7919) % 1_000_000),
      storageClass: classes[i % 3] as string,
      lastModified: Date.UTC(2026, 0, 1) + i,
      etag: (i * 2654435761 >>> 0).toString(16).toUpperCase().padStart(32, '0'),
      isMultipartUploaded: false,
      encrypted: i % 10 !== 0,
      acl: 'default',
      taggingCount: 0,
      objectType: 'Normal',
      crc64: '0',
    };
  }
}

async function bigInventory(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  try {
    const inv = await writeInventoryFiles('bench-bucket', syntheticRows(ROWS), { dir, rowsPerFile: 25_000 });
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = heapBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 20);
    const t = performance.now();
    const r = await runAudit({ bucket: 'bench-bucket', manifestFile: inv.manifest, policy: loadPolicy({}) });
    const s = (performance.now() - t) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    process.stdout.write(`${ROWS.toLocaleString('en-US')}-row inventory (${inv.dataFiles.length} data files): audited in ${s.toFixed(2)} s (${Math.round(ROWS / s).toLocaleString('en-US')} rows/s, opening + checksums + reading), `
      + `${r.requests.object} object requests, ${r.requests.bucket} bucket requests; heap grew at most ${((peak - heapBefore) / 2 ** 20).toFixed(1)} MiB\n`);
    process.stdout.write(`  found ${r.totals.plaintextObjects.toLocaleString('en-US')} plaintext of ${r.totals.objects.toLocaleString('en-US')} objects in ${r.byPrefix.length} prefixes\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function seed(oss: LocalOss, bucket: string): Promise<void> {
  const c = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket } as OSS.Options);
  const keys = Array.from({ length: OBJECTS }, (_, i) => i);
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map((j) => c.put(`p${j % 20}/obj-${String(j).padStart(6, '0')}`, Buffer.from(`object ${j}`), {
      headers: j % 10 === 0 ? {} : { 'x-oss-server-side-encryption': 'AES256' },
    } as OSS.PutObjectOptions)));
  }
}

interface Row { what: string; source: string; seconds: number; requests: number; objects: number }

async function sideBySide(): Promise<void> {
  const buckets = ['bench-inv', 'bench-list'];
  const oss = await startLocalOss({ buckets });
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  try {
    for (const b of buckets) await seed(oss, b);
    const manifest = (await oss.inventory('bench-inv', { dir })).manifest;
    oss.setLatency(LATENCY_MS);
    const policy = loadPolicy({});
    const connection = { region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } };
    const logger = createLogger({ level: 'silent' });
    const rows: Row[] = [];
    const measure = async (what: string, source: string, bucket: string, fn: () => Promise<unknown>) => {
      oss.requestLog.clear();
      const t = performance.now();
      await fn();
      const seconds = (performance.now() - t) / 1000;
      const requests = oss.requestLog.entries().filter((e) => e.bucket === bucket).length;
      rows.push({ what, source, seconds, requests, objects: OBJECTS });
    };
    await measure('audit', 'inventory', 'bench-inv', () => runAudit({ bucket: 'bench-inv', manifestFile: manifest, policy, roundTripMs: LATENCY_MS }));
    await measure('audit', 'listing', 'bench-list', () => runAudit({ bucket: 'bench-list', connection, policy, concurrency: CONCURRENCY, roundTripMs: LATENCY_MS }));
    await measure('backfill', 'inventory', 'bench-inv', () => runBackfill({ bucket: 'bench-inv', manifestFile: manifest, connection, policy, logger, concurrency: CONCURRENCY }));
    await measure('backfill', 'listing', 'bench-list', () => runBackfill({ bucket: 'bench-list', connection, policy, logger, concurrency: CONCURRENCY }));
    process.stdout.write(`\n${OBJECTS} objects, 90% already encrypted (AES256), ${LATENCY_MS} ms per request, concurrency ${CONCURRENCY}, PRESERVE_ACL=true:\n`);
    process.stdout.write(`  ${'run'.padEnd(22)}${'requests'.padStart(10)}${'per object'.padStart(12)}${'objects/s'.padStart(12)}${'wall'.padStart(10)}\n`);
    for (const r of rows) {
      process.stdout.write(`  ${`${r.what} from ${r.source}`.padEnd(22)}${String(r.requests).padStart(10)}${(r.requests / r.objects).toFixed(3).padStart(12)}${Math.round(r.objects / r.seconds).toLocaleString('en-US').padStart(12)}${`${r.seconds.toFixed(2)} s`.padStart(10)}\n`);
    }
    const inv = rows.find((r) => r.what === 'backfill' && r.source === 'inventory') as Row;
    const list = rows.find((r) => r.what === 'backfill' && r.source === 'listing') as Row;
    process.stdout.write(`  backfill from the inventory makes ${(inv.requests / list.requests).toFixed(3)}× the requests of one from a listing (${(list.seconds / inv.seconds).toFixed(1)}× faster)\n`);
  } finally {
    await oss.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await bigInventory();
  await sideBySide();
}
