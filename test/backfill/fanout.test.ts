/**
 * Fan-out against the local FC endpoint (test/helpers/local-fc.ts, which checks fc2's signature):
 * keys come from an inventory manifest, go out as multi-record OSS events in async invocations, and
 * every key must arrive exactly once across batches, also across an abort and resume.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalFc, type LocalFc } from '../helpers/local-fc';
import { createFcInvoker, type FcInvoker } from '../../src/remote/fc-invoker';
import { loadPolicy } from '../../src/config';
import { createLogger } from '../../src/log';
import { parseEvent } from '../../src/event/parse';
import { runBackfill, type BackfillOptions } from '../../src/backfill/run';
import { readCheckpoint } from '../../src/backfill/checkpoint';
import { writeInventory } from './inventory-fixture';
import { startTestOss, ossClient } from '../helpers/local-oss';
import { createHandler } from '../../src/function/create-handler';

const ACCOUNT = '1234567890123456';
const FC_CREDS = { accessKeyId: 'LTAIfanouttest', accessKeySecret: 'fanout-secret' };

describe('backfill --fanout', () => {
  let fc: LocalFc;
  const received: string[][] = [];

  beforeAll(async () => {
    fc = await startLocalFc({
      accountId: ACCOUNT,
      ...FC_CREDS,
      functions: ['auto-encrypt'],
      handler: async (event) => {
        received.push(parseEvent(event).map((r) => `${r.bucket}/${r.key}`));
        return { ok: true };
      },
    });
  });
  afterAll(async () => fc.close());
  beforeEach(() => {
    received.length = 0;
    fc.invocations.length = 0;
  });

  const keys = Array.from({ length: 1234 }, (_, i) => `photos/${String(i).padStart(5, '0')} é+%.jpg`);
  const inv = writeInventory('fan-bucket', [keys.slice(0, 700).map((key) => ({ key })), keys.slice(700).map((key) => ({ key }))]);
  const dir = mkdtempSync(join(tmpdir(), 'bf-fan-'));

  function options(invoker: FcInvoker, extra: Partial<BackfillOptions> = {}): BackfillOptions {
    return {
      bucket: 'fan-bucket',
      // With a manifest and fan-out nothing is sent to OSS from here; the endpoint is never used.
      connection: { region: 'cn-hangzhou', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'unused', accessKeySecret: 'unused' } },
      policy: loadPolicy({}),
      logger: createLogger({ level: 'silent' }),
      manifestFile: inv.manifest,
      concurrency: 4,
      fanout: { invoker, functionName: 'auto-encrypt', region: 'cn-hangzhou', accountId: ACCOUNT, batchSize: 100 },
      ...extra,
    };
  }
  const invoker = () => createFcInvoker({ accountId: ACCOUNT, region: 'cn-hangzhou', credentials: FC_CREDS, endpoint: fc.endpoint });

  it('delivers every key exactly once, in async multi-record events of at most batchSize records', async () => {
    const report = join(dir, 'fan.jsonl');
    const summary = await runBackfill(options(invoker(), { reportFile: report }));
    await fc.idle();
    expect(summary).toMatchObject({ complete: true, aborted: false, dispatched: 1234, failed: 0, total: 1234, mode: 'fanout' });
    expect(fc.invocations.every((i) => i.async && i.functionName === 'auto-encrypt')).toBe(true);
    expect(fc.invocations).toHaveLength(13);
    expect(Math.max(...received.map((b) => b.length))).toBe(100);
    const all = received.flat();
    expect(all.length).toBe(1234);
    expect(new Set(all).size).toBe(1234);
    expect(all.sort()).toEqual(keys.map((k) => `fan-bucket/${k}`).sort());
    const rows = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; outcome: string });
    expect(rows).toHaveLength(1234);
    expect(rows.every((r) => r.outcome === 'dispatched')).toBe(true);
  });

  it('an aborted fan-out resumed from its checkpoint still delivers every key exactly once', async () => {
    const checkpoint = join(dir, 'fan-cp.json');
    const ac = new AbortController();
    const real = invoker();
    let calls = 0;
    const counting: FcInvoker = {
      invoke: async (fn, ev, o) => {
        if (++calls === 4) ac.abort();
        return real.invoke(fn, ev, o);
      },
    };
    const first = await runBackfill(options(counting, { checkpointFile: checkpoint, signal: ac.signal }));
    expect(first.aborted).toBe(true);
    expect(first.dispatched).toBeGreaterThanOrEqual(400);
    expect(first.dispatched).toBeLessThan(1234);
    const cp = await readCheckpoint(checkpoint);
    expect(cp?.complete).toBe(false);
    const second = await runBackfill(options(real, { checkpointFile: checkpoint }));
    await fc.idle();
    expect(second).toMatchObject({ complete: true, resumed: true, dispatched: 1234 });
    const all = received.flat();
    expect(all.length).toBe(1234);
    expect(new Set(all).size).toBe(1234);
  });

  it('a refused invocation (unknown function) stops the run on the first batch with a clear error, nothing written', async () => {
    const checkpoint = join(dir, 'fan-bad.json');
    const opts = options(invoker(), { checkpointFile: checkpoint });
    opts.fanout = { ...opts.fanout!, functionName: 'no-such-function' };
    await expect(runBackfill(opts)).rejects.toThrow(/--fanout no-such-function: Could not send a batch of 100 keys to function "no-such-function".*FunctionNotFound.*Nothing was written/);
    expect(await readCheckpoint(checkpoint)).toBeUndefined();
  });
});

describe('backfill --fanout end to end', () => {
  it('lists the bucket, the deployed handler (real core, local FC) encrypts every object from the batches', async () => {
    const oss = await startTestOss({ buckets: ['fan-e2e'] });
    const { handler } = createHandler({ env: { OSS_ENDPOINT: oss.endpoint }, logger: createLogger({ level: 'silent' }) });
    const fc = await startLocalFc({
      accountId: ACCOUNT,
      ...FC_CREDS,
      region: oss.region,
      credentials: () => oss.issueStsCredentials(),
      handler: (event, context) => handler(event, context),
    });
    try {
      const c = ossClient(oss, 'fan-e2e');
      const keys = Array.from({ length: 230 }, (_, i) => `e2e/${i} 中 +.txt`);
      await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
      oss.requestLog.clear();
      const summary = await runBackfill({
        bucket: 'fan-e2e',
        connection: { region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } },
        policy: loadPolicy({}),
        logger: createLogger({ level: 'silent' }),
        concurrency: 3,
        fanout: {
          invoker: createFcInvoker({ accountId: ACCOUNT, region: oss.region, credentials: FC_CREDS, endpoint: fc.endpoint }),
          functionName: 'auto-encrypt',
          region: oss.region,
          accountId: ACCOUNT,
          batchSize: 50,
        },
      });
      expect(summary).toMatchObject({ complete: true, dispatched: 230, encrypted: 0 });
      await fc.idle();
      expect(fc.invocations).toHaveLength(5);
      expect(fc.asyncOutcomes.every((o) => o.ok && o.attempts === 1)).toBe(true);
      // the backfill itself only listed; the copies were made by the function
      const byKey = new Map<string, number>();
      for (const e of oss.requestLog.entries()) {
        if (e.op === 'CopyObject' && e.status === 200) {
          expect(e.accessKeyId).toMatch(/^STS\./);
          byKey.set(e.key as string, (byKey.get(e.key as string) ?? 0) + 1);
        }
      }
      expect([...byKey.keys()].sort()).toEqual([...keys].sort());
      expect([...byKey.values()].every((n) => n === 1)).toBe(true);
      for (const k of keys.slice(0, 5)) expect((await c.head(k)).res.headers['x-oss-server-side-encryption' as keyof object]).toBe('AES256');
    } finally {
      await fc.close();
      await oss.close();
    }
  });
});
