/**
 * Soak (issue #7): SOAK_EVENTS uploads (default 2,000; e.g. `SOAK_EVENTS=20000 npx jest test/resilience/soak`) through
 * the local OSS's event notifications into ONE warm handler instance, as fast as the machine allows (200 uploads in
 * flight, delivery asynchronous, the FC-style Buffer event and fresh STS credentials per invocation, as
 * src/local-run/trigger.ts does). Checks that every event's object ends encrypted and that the heap after GC
 * does not grow with the number of events handled (warm-up vs end). No timing assertions.
 *
 * Keys are reused (KEYS distinct) and the request log is cleared at every checkpoint, so the local OSS's own
 * state stays bounded and any growth measured is the function's.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import OSS from 'ali-oss';
import { ossClient } from '../helpers/local-oss';
import { startWorld, type World } from './world';
import type { StsCredentials } from '../../src/local-oss';

const EVENTS = Math.max(200, Number(process.env.SOAK_EVENTS ?? 2000) || 2000);
const KEYS = 200;
// One upload per key per batch. Fresh uploads wait up to a second for the copy guard to settle (src/core/guard.ts),
// so batches are wide: that wait is idle time, not work.
const IN_FLIGHT = KEYS;

/** A real GC: jest runs without --expose-gc, so enable it at runtime and fetch it from a fresh context. */
function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

describe(`soak: ${EVENTS} events through one warm handler instance`, () => {
  let w: World;
  let client: OSS;
  const bucket = 'soak-bucket';
  const outcomes: Record<string, number> = {};
  let invocationErrors = 0;
  let handled = 0;
  let creds: StsCredentials | undefined;

  beforeAll(async () => {
    // LOG_LEVEL warn: the per-object info lines would be most of the captured memory, not the function's.
    w = await startWorld({ LOG_LEVEL: 'warn' });
    await w.oss.createBucket(bucket);
    client = ossClient(w.oss, bucket);
    w.oss.notifications.subscribe(bucket, { events: ['oss:ObjectCreated:PutObject'] }, async (event) => {
      try {
        // FC hands a warm instance the same STS credentials until they rotate; a fresh set per event would only
        // grow the local OSS's credential table (its memory, not the function's).
        if (++handled % 1000 === 1) creds = w.oss.issueStsCredentials();
        const s = await w.fc.handler(Buffer.from(JSON.stringify(event)), { requestId: `soak-${handled}`, region: w.oss.region, credentials: creds! });
        for (const r of s.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      } catch (err) {
        invocationErrors++;
        throw err;
      }
    }, { maxAttempts: 4, retryDelayMs: 5 });
  });
  afterAll(() => w.close());

  test('every object ends encrypted; heap after GC does not grow with events handled', async () => {
    const gc = gcFunction();
    const warmUp = Math.max(200, Math.floor(EVENTS / 10));
    const samples: Array<{ events: number; heap: number }> = [];
    let sent = 0;
    let warmHeap = 0;
    let peakHeap = 0;
    while (sent < EVENTS) {
      const batch = Math.min(IN_FLIGHT, EVENTS - sent);
      await Promise.all(Array.from({ length: batch }, (_, i) => {
        const n = sent + i;
        return client.put(`soak/${n % KEYS}.txt`, Buffer.from(`event ${n}`), { headers: { 'Content-Type': 'text/plain' }, meta: { n: String(n) } } as unknown as OSS.PutObjectOptions);
      }));
      sent += batch;
      await w.oss.notifications.idle();
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      const every = Math.max(IN_FLIGHT, Math.floor(EVENTS / 10 / IN_FLIGHT) * IN_FLIGHT);
      if ((sent >= warmUp && warmHeap === 0) || (warmHeap > 0 && sent % every === 0) || sent === EVENTS) {
        w.oss.requestLog.clear();
        const heap = await settledHeap(gc);
        if (warmHeap === 0) warmHeap = heap;
        samples.push({ events: sent, heap });
      }
    }
    const endHeap = await settledHeap(gc);
    const MiB = 1024 * 1024;
    console.log(`soak: ${EVENTS} events, heap after warm-up ${(warmHeap / MiB).toFixed(1)} MiB, at end ${(endHeap / MiB).toFixed(1)} MiB, peak ${(peakHeap / MiB).toFixed(1)} MiB; samples ${JSON.stringify(samples.map((s) => [s.events, +(s.heap / MiB).toFixed(1)]))}`);

    expect(invocationErrors).toBe(0);
    expect(outcomes).toEqual({ encrypted: EVENTS });
    for (let k = 0; k < KEYS; k++) {
      const h = (await client.head(`soak/${k}.txt`)).res.headers as Record<string, string>;
      expect(h['x-oss-server-side-encryption']).toBe('AES256');
    }
    // Generous fixed bound: a leak of even 1 KiB per event would exceed it at the default size well before 20,000.
    expect(endHeap - warmHeap).toBeLessThan(8 * MiB);
  }, Math.max(60_000, EVENTS * 25));
});
