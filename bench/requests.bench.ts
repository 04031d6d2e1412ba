/**
 * The function's cost per object, side by side in one run, on an in-process local OSS with a fixed latency per
 * request (REQUESTS_BENCH_LATENCY_MS, default 5 ms, so request round trips dominate as they do against real OSS):
 *
 * 1. OSS requests per object for each path, counted from the local OSS request log, against the minimum possible:
 *    encrypt (HEAD + CopyObject = 2), skip (HEAD = 1), multipart (Initiate + parts + Complete = parts + 2, plus the
 *    HEAD that every path needs). PRESERVE_ACL=true (the default) adds GetObjectAcl, and PutObjectAcl after a
 *    multipart Complete when the ACL is not `default`; tagged multipart objects add GetObjectTagging.
 * 2. The handler's per-event time vs raw ali-oss HEAD + copy for the same kind of objects (one event in flight,
 *    interleaved A/B so drift hits both equally); ratio, aim ≤ 1.15. Same request count on both sides
 *    (PRESERVE_ACL=false); the default configuration's figure is printed next to it.
 * 3. The soak's peak memory: REQUESTS_BENCH_SOAK_EVENTS (default 2000) events through the local OSS's notifications
 *    into one warm handler, 32 uploads in flight.
 */
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { startLocalOss, type LocalOss } from '../src/local-oss';
import { createHandler, type FcHandler } from '../src/function/create-handler';
import { createLogger } from '../src/log';

const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
const LATENCY_MS = num(process.env.REQUESTS_BENCH_LATENCY_MS, 5);
const TIMED = num(process.env.REQUESTS_BENCH_OBJECTS, 200);
const SOAK_EVENTS = num(process.env.REQUESTS_BENCH_SOAK_EVENTS, 2000);
const PART = 100 * 1024;
const THRESHOLD = 200 * 1024;
const BUCKET = 'bench-bucket';

/** Info-level logging into a sink: the handler pays for building its log lines, as on FC, without a terminal. */
const sinkLogger = () => createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function handlerFor(oss: LocalOss, env: Record<string, string> = {}): FcHandler {
  return createHandler({
    env: { OSS_ENDPOINT: oss.endpoint, MULTIPART_THRESHOLD_BYTES: String(THRESHOLD), MULTIPART_PART_BYTES: String(PART), ...env },
    logger: sinkLogger(),
  });
}

function event(key: string, eTag?: string): Buffer {
  return Buffer.from(JSON.stringify({
    events: [{
      eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventTime: new Date().toISOString(), eventVersion: '1.0', region: 'cn-hangzhou',
      oss: { bucket: { name: BUCKET, arn: `acs:oss:cn-hangzhou:1234567890123456:${BUCKET}`, ownerIdentity: '1234567890123456' }, object: { key, size: 0, deltaSize: 0, ...(eTag ? { eTag } : {}) }, ossSchemaVersion: '1.0', ruleId: 'bench' },
      requestParameters: { sourceIPAddress: '127.0.0.1' }, responseElements: { requestId: '0' }, userIdentity: { principalId: '1234567890123456' },
    }],
  }));
}

async function put(client: OSS, key: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
  await client.put(key, body, { headers: { 'Content-Type': 'application/octet-stream', ...headers } } as OSS.PutObjectOptions);
}

/** Mean requests per object on `keys` after `fn`, from the request log. */
async function requestsPer(oss: LocalOss, keys: string[], fn: (key: string) => Promise<unknown>): Promise<{ perObject: number; ops: Record<string, number> }> {
  oss.requestLog.clear();
  for (const k of keys) await fn(k);
  const ops: Record<string, number> = {};
  let total = 0;
  for (const e of oss.requestLog.entries()) {
    if (!e.key || !keys.includes(e.key)) continue;
    ops[e.op] = (ops[e.op] ?? 0) + 1;
    total++;
  }
  for (const op of Object.keys(ops)) ops[op] = +(ops[op]! / keys.length).toFixed(2);
  return { perObject: total / keys.length, ops };
}

const fmtOps = (ops: Record<string, number>) => Object.entries(ops).map(([k, v]) => `${k}×${v}`).join(' + ');

async function requestCounts(oss: LocalOss, client: OSS): Promise<void> {
  const ctx = () => ({ requestId: 'bench', region: oss.region, credentials: oss.issueStsCredentials() });
  const rows: string[][] = [['path', 'config', 'requests/object', 'minimum', 'breakdown']];
  for (const preserveAcl of ['false', 'true']) {
    const fc = handlerFor(oss, { PRESERVE_ACL: preserveAcl });
    const small = Array.from({ length: 20 }, (_, i) => `count-${preserveAcl}/small-${i}`);
    for (const k of small) await put(client, k, randomBytes(1024));
    const enc = await requestsPer(oss, small, (k) => fc.handler(event(k), ctx()));
    rows.push(['encrypt (copy)', `PRESERVE_ACL=${preserveAcl}`, enc.perObject.toFixed(2), '2', fmtOps(enc.ops)]);
    const skip = await requestsPer(oss, small, (k) => fc.handler(event(k), ctx()));
    rows.push(['skip (already encrypted)', `PRESERVE_ACL=${preserveAcl}`, skip.perObject.toFixed(2), '1', fmtOps(skip.ops)]);
    const big = Array.from({ length: 5 }, (_, i) => `count-${preserveAcl}/big-${i}`);
    for (const k of big) await put(client, k, randomBytes(THRESHOLD + PART), { 'x-oss-object-acl': 'private' });
    const parts = Math.ceil((THRESHOLD + PART) / PART);
    const mp = await requestsPer(oss, big, (k) => fc.handler(event(k), ctx()));
    rows.push([`multipart (${parts} parts, ACL private)`, `PRESERVE_ACL=${preserveAcl}`, mp.perObject.toFixed(2), `${parts + 2} (+1 HEAD)`, fmtOps(mp.ops)]);
  }
  printTable(rows);
}

/**
 * Handler per event vs raw ali-oss HEAD + CopyObject (SSE) on plaintext objects, interleaved. The objects are
 * backdated 2 s so this measures the handler's own overhead; what a fresh upload adds (the copy guard's settle wait,
 * src/core/guard.ts) is measured separately by settleCost below.
 */
async function perEventTime(oss: LocalOss, client: OSS): Promise<void> {
  const rawCopy = async (key: string) => {
    await client.head(key);
    // ali-oss copy() re-sends headers as x-oss-copy-source-*; the raw request is what CopyObject needs (src/oss/gateway.ts).
    const raw = client as unknown as { _objectRequestParams(m: string, k: string, o: object): { successStatuses?: number[]; xmlResponse?: boolean }; request(p: object): Promise<unknown> };
    const params = raw._objectRequestParams('PUT', key, { headers: { 'x-oss-copy-source': `/${BUCKET}/${encodeURIComponent(key)}`, 'x-oss-server-side-encryption': 'AES256', 'x-oss-metadata-directive': 'COPY' } });
    params.successStatuses = [200];
    params.xmlResponse = true;
    await raw.request(params);
  };
  for (const preserveAcl of ['false', 'true']) {
    const fc = handlerFor(oss, { PRESERVE_ACL: preserveAcl });
    const creds = oss.issueStsCredentials();
    const ctx = { requestId: 'bench', region: oss.region, credentials: creds };
    const keys = Array.from({ length: TIMED * 2 }, (_, i) => `time-${preserveAcl}/${i}`);
    await Promise.all(keys.map((k) => put(client, k, randomBytes(2048))));
    await oss.inspect.backdate(BUCKET, 2000);
    let tHandler = 0;
    let tRaw = 0;
    for (let i = 0; i < TIMED; i++) {
      const a = keys[2 * i]!;
      const b = keys[2 * i + 1]!;
      const runHandler = async () => { const t = performance.now(); await fc.handler(event(a), ctx); tHandler += performance.now() - t; };
      const runRaw = async () => { const t = performance.now(); await rawCopy(b); tRaw += performance.now() - t; };
      if (i % 2 === 0) { await runHandler(); await runRaw(); } else { await runRaw(); await runHandler(); }
    }
    const h = tHandler / TIMED;
    const r = tRaw / TIMED;
    process.stdout.write(
      `per event (PRESERVE_ACL=${preserveAcl}, ${TIMED} objects each, ${LATENCY_MS} ms latency/request): handler ${h.toFixed(2)} ms, raw HEAD+copy ${r.toFixed(2)} ms, ratio ${(h / r).toFixed(3)}` +
        `${preserveAcl === 'false' ? ' (aim ≤ 1.15)' : ' (one more request: GetObjectAcl)'}\n`,
    );
  }
}

/**
 * Fresh uploads handled at once (as an event-triggered function sees them) vs the same uploads 2 s old: the extra
 * HEAD and the wait for the server's second to pass, side by side.
 */
async function settleCost(oss: LocalOss, client: OSS): Promise<void> {
  const fc = handlerFor(oss, { PRESERVE_ACL: 'false' });
  const ctx = () => ({ requestId: 'bench', region: oss.region, credentials: oss.issueStsCredentials() });
  const N = 20;
  let fresh = 0;
  let old = 0;
  let waited = 0;
  for (let i = 0; i < N; i++) {
    const a = `settle/fresh-${i}`;
    const b = `settle/old-${i}`;
    await put(client, b, randomBytes(1024));
    await oss.inspect.backdate(BUCKET, 2000, b);
    // Uploads arrive at any point of a second: spread them evenly (i/N of the way in), or the loop would lock onto
    // the second boundary its own waits end at and measure only the worst case.
    await new Promise((r) => setTimeout(r, ((i * 1000) / N - (Date.now() % 1000) + 1000) % 1000));
    await put(client, a, randomBytes(1024));
    let t = performance.now();
    const s = await fc.handler(event(a), ctx());
    fresh += performance.now() - t;
    if (s.results[0]?.settleHeads) waited++;
    t = performance.now();
    await fc.handler(event(b), ctx());
    old += performance.now() - t;
  }
  process.stdout.write(
    `fresh upload vs 2 s old (${N} each, ${LATENCY_MS} ms latency/request): ${(fresh / N).toFixed(1)} ms vs ${(old / N).toFixed(1)} ms per event; ` +
      `${waited} of ${N} fresh events waited for the server's second to pass (copy guard, docs/resilience.md; uploads spread evenly over the second)\n`,
  );
}

async function soakPeak(): Promise<void> {
  const oss = await startLocalOss({ buckets: [BUCKET] });
  try {
    const fc = handlerFor(oss, { LOG_LEVEL: 'warn' });
    const client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket: BUCKET });
    let creds = oss.issueStsCredentials();
    let handled = 0;
    let failed = 0;
    oss.notifications.subscribe(BUCKET, { events: ['oss:ObjectCreated:PutObject'] }, async (ev) => {
      if (++handled % 1000 === 0) creds = oss.issueStsCredentials();
      const s = await fc.handler(Buffer.from(JSON.stringify(ev)), { requestId: `soak-${handled}`, region: oss.region, credentials: creds });
      failed += s.failed;
    });
    const start = process.memoryUsage();
    let peakHeap = start.heapUsed;
    let peakRss = start.rss;
    const t0 = performance.now();
    // 200 in flight, one per key: each fresh event waits for the copy guard's settle (up to ~1 s of idle time), as
    // test/resilience/soak.test.ts does; FC runs events in parallel the same way.
    for (let sent = 0; sent < SOAK_EVENTS; sent += 200) {
      const n = Math.min(200, SOAK_EVENTS - sent);
      await Promise.all(Array.from({ length: n }, (_, i) => put(client, `soak/${(sent + i) % 200}`, Buffer.from(String(sent + i)))));
      await oss.notifications.idle();
      if (sent % 1000 === 0) oss.requestLog.clear();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }
    const secs = (performance.now() - t0) / 1000;
    const MiB = 1024 * 1024;
    process.stdout.write(
      `soak: ${SOAK_EVENTS} events (${failed} failed) in ${secs.toFixed(1)} s = ${(SOAK_EVENTS / secs).toFixed(0)} events/s (local OSS in the same process); ` +
        `peak heap ${(peakHeap / MiB).toFixed(1)} MiB, peak RSS ${(peakRss / MiB).toFixed(1)} MiB (start: heap ${(start.heapUsed / MiB).toFixed(1)}, RSS ${(start.rss / MiB).toFixed(1)})\n`,
    );
  } finally {
    await oss.close();
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ') + '\n');
}

export async function run(): Promise<void> {
  const oss = await startLocalOss({ buckets: [BUCKET], latencyMs: LATENCY_MS });
  try {
    const client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket: BUCKET });
    await requestCounts(oss, client);
    await perEventTime(oss, client);
    await settleCost(oss, client);
  } finally {
    await oss.close();
  }
  await soakPeak();
}
