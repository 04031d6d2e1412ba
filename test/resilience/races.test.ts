/**
 * Races (issue #7): duplicate deliveries of one event, an overwrite or delete between HEAD and copy, an overwrite
 * during a multipart copy. The window is opened deterministically with the local OSS's `slow` fault on the next
 * operation (rate 1): the test waits until the request log shows the step before it, then races the object.
 * The newest upload must survive intact and end encrypted by its own event; a deleted object stays deleted.
 * The holds (1 s / 0.8 s) are far longer than the racing request needs, so a loaded CI machine does not close the window.
 */
import { randomBytes } from 'node:crypto';
import type OSS from 'ali-oss';
import { diffSnapshots, snapshotIfExists, takeSnapshot } from '../helpers/snapshot';
import { PART, THRESHOLD, logged, putObjects, resultOf, startWorld, type World } from './world';


describe('races', () => {
  let w: World;
  let client: OSS;
  const bucket = 'race-bucket';
  beforeAll(async () => {
    w = await startWorld({ MULTIPART_CONCURRENCY: '1' });
    await w.oss.createBucket(bucket);
    client = w.client(bucket);
  });
  afterAll(() => w.close());
  afterEach(() => w.oss.faults.clear());

  test('20 concurrent deliveries of the same event (copy path): no failure, content and metadata intact, encrypted', async () => {
    const [obj] = await putObjects(client, [{ key: 'dup/a.txt', body: randomBytes(5000), headers: { 'Content-Type': 'text/plain', 'x-oss-tagging': 'a=1', 'x-oss-object-acl': 'public-read' }, meta: { m: 'v' } }]);
    const before = await takeSnapshot(client, obj!.key);
    const summaries = await Promise.all(Array.from({ length: 20 }, () => w.invoke(bucket, [obj!])));
    const outcomes = summaries.map((s) => `${resultOf(s, obj!.key)!.outcome}`);
    expect(outcomes).not.toContain('failed');
    expect(outcomes).toContain('encrypted');
    const after = await takeSnapshot(client, obj!.key);
    expect(after.sse?.algorithm).toBe('AES256');
    expect(diffSnapshots(before, after)).toEqual([]);
  });

  test('10 concurrent deliveries of the same event (multipart path): one rewrite wins, the rest skip or abort; no orphaned upload', async () => {
    const [obj] = await putObjects(client, [{ key: 'dup/big.bin', body: randomBytes(THRESHOLD + PART), headers: { 'Content-Type': 'video/mp4', 'x-oss-tagging': 'k=v', 'x-oss-object-acl': 'private' }, meta: { m: 'v' } }]);
    const before = await takeSnapshot(client, obj!.key);
    const summaries = await Promise.all(Array.from({ length: 10 }, () => w.invoke(bucket, [obj!])));
    const results = summaries.map((s) => resultOf(s, obj!.key)!);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(results.some((r) => r.outcome === 'encrypted')).toBe(true);
    const after = await takeSnapshot(client, obj!.key);
    expect(after.sse?.algorithm).toBe('AES256');
    expect(diffSnapshots(before, after)).toEqual([]);
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
  });

  test('overwrite between HEAD and CopyObject: the copy is refused (If-Match), the newer upload survives and its own event encrypts it', async () => {
    const key = 'race/overwrite.txt';
    const [old] = await putObjects(client, [{ key, body: Buffer.from('old bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { v: '1' } }]);
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'CopyObject', kind: 'slow', rate: 1, delayMs: 1000 }]);
    const pending = w.invoke(bucket, [old!]);
    await logged(w, 'HeadObject', key);
    const [fresh] = await putObjects(client, [{ key, body: Buffer.from('NEW bytes, newer upload'), headers: { 'Content-Type': 'text/csv', 'x-oss-tagging': 'gen=2' }, meta: { v: '2' } }], { fresh: true });
    const newest = await takeSnapshot(client, key);
    const first = resultOf(await pending, key)!;
    expect(first).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    // The newer upload's own event:
    w.oss.faults.clear();
    expect(resultOf(await w.invoke(bucket, [fresh!]), key)).toMatchObject({ outcome: 'encrypted' });
    const after = await takeSnapshot(client, key);
    expect(after.body.toString()).toBe('NEW bytes, newer upload');
    expect(after.sse?.algorithm).toBe('AES256');
    expect(diffSnapshots(newest, after)).toEqual([]);
  });

  // The held operation sleeps before it acts, so a delete sent once the previous request is logged lands in between.
  test.each([
    ['the ACL read and CopyObject', 'CopyObject', 'GetObjectACL', 'race/deleted.txt'],
    ['HEAD and the ACL read', 'GetObjectACL', 'HeadObject', 'race/deleted-before-acl.txt'],
  ])('delete between %s: stays deleted (no resurrection), a named skip (not a failure FC would retry into the same 404)', async (_between, held, after, key) => {
    const [obj] = await putObjects(client, [{ key, body: Buffer.from('short-lived'), headers: { 'Content-Type': 'text/plain' } }]);
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: held, kind: 'slow', rate: 1, delayMs: 1000 }]);
    const pending = w.invoke(bucket, [obj!]);
    await logged(w, after, key);
    await client.delete(key);
    const r = resultOf(await pending, key)!;
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'gone' });
    expect(w.oss.requestLog.entries().filter((e) => e.key === key && e.op === 'CopyObject' && e.status === 200)).toEqual([]);
    expect(await snapshotIfExists(client, key)).toBeUndefined();
  });

  test('delete during a multipart copy: parts find no source, the upload is aborted, the object stays deleted', async () => {
    const key = 'race/big-deleted.bin';
    const [obj] = await putObjects(client, [{ key, body: randomBytes(THRESHOLD + PART), headers: { 'Content-Type': 'video/mp4' } }]);
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'UploadPartCopy', kind: 'slow', rate: 1, delayMs: 800 }]);
    const pending = w.invoke(bucket, [obj!]);
    await logged(w, 'UploadPartCopy', key, 1);
    await client.delete(key);
    expect(resultOf(await pending, key)).toMatchObject({ outcome: 'skipped', reason: 'gone', method: 'multipart' });
    expect(await snapshotIfExists(client, key)).toBeUndefined();
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
  });

  test('overwrite during a multipart copy (after the first part): parts are refused (If-Match), the upload aborted, the newer upload encrypted by its own event', async () => {
    const key = 'race/big-overwrite.bin';
    const [old] = await putObjects(client, [{ key, body: randomBytes(THRESHOLD + 2 * PART), headers: { 'Content-Type': 'video/mp4', 'x-oss-tagging': 'gen=1' } }]);
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'UploadPartCopy', kind: 'slow', rate: 1, delayMs: 800 }]);
    const pending = w.invoke(bucket, [old!]);
    await logged(w, 'UploadPartCopy', key, 1);
    const newBody = randomBytes(THRESHOLD + PART);
    const [fresh] = await putObjects(client, [{ key, body: newBody, headers: { 'Content-Type': 'video/webm', 'x-oss-tagging': 'gen=2', 'x-oss-object-acl': 'public-read' }, meta: { gen: '2' } }], { fresh: true });
    const newest = await takeSnapshot(client, key);
    expect(resultOf(await pending, key)).toMatchObject({ outcome: 'skipped', reason: 'replaced', method: 'multipart' });
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
    w.oss.faults.clear();
    expect(resultOf(await w.invoke(bucket, [fresh!]), key)).toMatchObject({ outcome: 'encrypted', method: 'multipart' });
    const after = await takeSnapshot(client, key);
    expect(after.body.equals(newBody)).toBe(true);
    expect(after.sse?.algorithm).toBe('AES256');
    expect(diffSnapshots(newest, after)).toEqual([]);
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
  });

  test('the stale event of an overwritten object is skipped as replaced (ETag differs) and never copies', async () => {
    const key = 'race/stale-event.txt';
    const [old] = await putObjects(client, [{ key, body: Buffer.from('v1'), headers: { 'Content-Type': 'text/plain' } }]);
    await putObjects(client, [{ key, body: Buffer.from('v2'), headers: { 'Content-Type': 'text/plain' } }]);
    w.oss.requestLog.clear();
    expect(resultOf(await w.invoke(bucket, [old!]), key)).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(w.oss.requestLog.counts({ key })).toEqual({ HeadObject: 1 });
    expect((await takeSnapshot(client, key)).body.toString()).toBe('v2');
  });
});
