/**
 * Loop safety (issue #7): with the trigger subscribed to `oss:ObjectCreated:*`, the function's own rewrite
 * (CopyObject, or CompleteMultipartUpload for big objects) emits another ObjectCreated event. That echo must be
 * skipped after exactly one HEAD, and nothing after it: measured from the local OSS request log, through the
 * local OSS's event notifications (the FC OSS trigger's event JSON, delivered asynchronously, retried on error).
 */
import { randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { ossClient } from '../helpers/local-oss';
import { takeSnapshot, diffSnapshots } from '../helpers/snapshot';
import { PART, THRESHOLD, startWorld, type World } from './world';
import type { InvocationSummary } from '../../src/core/process';

describe('loop safety: ObjectCreated:* sees its own echo and stops there', () => {
  let w: World;
  let client: OSS;
  const bucket = 'loop-bucket';
  const invocations: Array<{ eventName: string; key: string; summary?: InvocationSummary; error?: string }> = [];
  /** Deliveries wait for this, so a test can read the object's state before the function touches it. */
  let gate: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    w = await startWorld({ MULTIPART_CONCURRENCY: '2' });
    await w.oss.createBucket(bucket);
    client = ossClient(w.oss, bucket);
    w.oss.notifications.subscribe(bucket, { events: ['oss:ObjectCreated:*'] }, async (event) => {
      const rec = (event as { events: Array<{ eventName: string; oss: { object: { key: string } } }> }).events[0]!;
      const entry: (typeof invocations)[number] = { eventName: rec.eventName, key: rec.oss.object.key };
      invocations.push(entry);
      await gate;
      try {
        entry.summary = await w.fc.handler(Buffer.from(JSON.stringify(event)), w.context());
      } catch (err) {
        entry.error = (err as Error).message;
        throw err;
      }
    }, { maxAttempts: 4, retryDelayMs: 5 });
  });
  afterAll(() => w.close());
  beforeEach(() => {
    invocations.length = 0;
    w.oss.requestLog.clear();
  });

  test('PutObject → one encrypting CopyObject → the CopyObject echo is skipped with one HEAD; two invocations in all', async () => {
    const key = 'loop/small.txt';
    await client.put(key, Buffer.from('hello'), { headers: { 'Content-Type': 'text/plain', 'x-oss-object-acl': 'public-read' }, meta: { a: '1' } } as unknown as OSS.PutObjectOptions);
    await w.oss.notifications.idle();
    expect(invocations.map((i) => [i.eventName, i.summary?.results[0]?.outcome, i.summary?.results[0]?.reason])).toEqual([
      ['ObjectCreated:PutObject', 'encrypted', 'unencrypted'],
      ['ObjectCreated:CopyObject', 'skipped', 'already-encrypted'],
    ]);
    // One upload, then: HEAD (+ the settle HEAD a fresh upload needs, src/core/guard.ts) + GetObjectACL + CopyObject
    // (the rewrite), HEAD (the echo). Nothing else.
    const settle = invocations[0]!.summary!.results[0]!.settleHeads ?? 0;
    expect(w.oss.requestLog.counts({ key })).toEqual({ PutObject: 1, HeadObject: 2 + settle, GetObjectACL: 1, CopyObject: 1 });
    const echoRequests = invocations[1]!.summary!.results[0]!.requestIds;
    expect(echoRequests).toHaveLength(1);
    expect(w.oss.requestLog.entries().find((e) => e.requestId === echoRequests[0])?.op).toBe('HeadObject');
  });

  test('multipart rewrite → the CompleteMultipartUpload echo is skipped with one HEAD; Initiate/UploadPartCopy echoes without any request', async () => {
    const key = 'loop/big.bin';
    const body = randomBytes(THRESHOLD + PART);
    let open!: () => void;
    gate = new Promise((r) => { open = r; });
    await client.put(key, body, { headers: { 'Content-Type': 'video/mp4', 'x-oss-tagging': 't=1', 'x-oss-object-acl': 'private' } } as OSS.PutObjectOptions);
    const before = await takeSnapshot(client, key);
    w.oss.requestLog.clear();
    open();
    await w.oss.notifications.idle();
    gate = Promise.resolve();
    const byName = (name: string) => invocations.filter((i) => i.eventName === name);
    expect(byName('ObjectCreated:PutObject').map((i) => i.summary?.results[0]?.outcome)).toEqual(['encrypted']);
    expect(byName('ObjectCreated:CompleteMultipartUpload').map((i) => [i.summary?.results[0]?.reason, i.summary?.results[0]?.requestIds.length])).toEqual([['already-encrypted', 1]]);
    // The in-progress echoes (one Initiate, three UploadPartCopy) are named skips that cost no request.
    const inProgress = invocations.filter((i) => /InitiateMultipartUpload|UploadPartCopy/.test(i.eventName));
    expect(inProgress).toHaveLength(4);
    for (const i of inProgress) expect(i.summary?.results[0]).toMatchObject({ outcome: 'skipped', reason: 'not-object-created', requestIds: [] });
    expect(invocations).toHaveLength(6);
    const counts = w.oss.requestLog.counts({ key });
    const settle = byName('ObjectCreated:PutObject')[0]!.summary!.results[0]!.settleHeads ?? 0;
    expect(counts).toEqual({ HeadObject: 2 + settle, GetObjectACL: 2, GetObjectTagging: 2, InitiateMultipartUpload: 1, UploadPartCopy: 3, CompleteMultipartUpload: 1 });
    expect(diffSnapshots(before, await takeSnapshot(client, key))).toEqual([]);
  });

  test('50 uploads → exactly 50 rewrites and 50 echo HEADs; the event stream ends (no loop)', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `loop/many-${i}.txt`);
    await Promise.all(keys.map((k) => client.put(k, Buffer.from(k), { headers: { 'Content-Type': 'text/plain' } } as OSS.PutObjectOptions)));
    await w.oss.notifications.idle();
    const counts = w.oss.requestLog.counts();
    expect(counts.CopyObject).toBe(50);
    const settle = invocations.reduce((n, i) => n + (i.summary?.results[0]?.settleHeads ?? 0), 0);
    expect(counts.HeadObject).toBe(100 + settle);
    expect(invocations).toHaveLength(100);
    expect(invocations.filter((i) => i.error)).toEqual([]);
  });
});
