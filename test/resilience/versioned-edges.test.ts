/**
 * Edges found by the hostile review of issue #10 (each failed before its fix):
 * - versioned: the HEAD'd version deleted by its id before the copy, so an older version becomes current: other bytes
 *   are refused by If-Match; the same bytes (other metadata) are copied, caught by the source-version check and
 *   undone, and a failing undo is reported with the version to delete;
 * - Suspended versioning: the new version is "null", the HEAD'd plaintext one is still reported and deleted;
 * - delete mode keeps (and reports) a user's older plaintext versions with the same bytes; an event naming its
 *   versionId gets that version deleted even when a newer same-ETag version was the one rewritten;
 * - SSE_ON_MISMATCH=reencrypt never deletes (nor calls plaintext) an encrypted old version;
 * - multipart: an ACL or tag change during the part copies is not reverted.
 */
import type OSS from 'ali-oss';
import { takeSnapshot } from '../helpers/snapshot';
import type { OssExtras } from '../helpers/local-oss';
import { InvocationFailedError } from '../../src/errors';
import { PART, THRESHOLD, logged, putObjects, resultOf, startWorld, type World } from './world';

type Client = OSS & OssExtras;

async function versionsOf(client: Client, key: string): Promise<Array<{ versionId: string; sse?: string; rev?: string }>> {
  const listed = await client.getBucketVersions({ prefix: key });
  const out = [];
  for (const v of listed.objects.filter((o) => o.name === key)) {
    const h = (await client.head(key, { versionId: v.versionId } as OSS.HeadObjectOptions)).res.headers as Record<string, string>;
    out.push({ versionId: v.versionId, ...(h['x-oss-server-side-encryption'] ? { sse: h['x-oss-server-side-encryption'] } : {}), ...(h['x-oss-meta-rev'] ? { rev: h['x-oss-meta-rev'] } : {}) });
  }
  return out;
}
const versionOf = async (client: Client, key: string) => String(((await client.head(key)).res.headers as Record<string, string>)['x-oss-version-id']);

async function newBucket(w: World, name: string, versioning?: 'Enabled'): Promise<Client> {
  await w.oss.createBucket(name);
  const c = w.client(name) as Client;
  if (versioning) await c.putBucketVersioning(name, versioning);
  return c;
}

/** Holds the function's CopyObject, runs `during` once the ACL read is answered, then lets the copy go. */
async function duringCopy<T>(w: World, key: string, invoke: () => Promise<T>, during: () => Promise<void>): Promise<T> {
  w.oss.requestLog.clear();
  w.oss.faults.set([{ op: 'CopyObject', kind: 'slow', rate: 1, delayMs: 1000, times: 1 }]);
  const pending = invoke();
  await logged(w, 'GetObjectACL', key);
  await new Promise((r) => setTimeout(r, 150));
  await during();
  const out = await pending;
  w.oss.faults.clear();
  return out;
}

describe('versioned buckets: the HEAD\'d version deleted by id before the copy', () => {
  let w: World;
  beforeAll(async () => { w = await startWorld({}); });
  afterAll(() => w.close());
  afterEach(() => w.oss.faults.clear());

  test('an older version with other bytes becomes current: If-Match refuses the copy, nothing is written', async () => {
    const c = await newBucket(w, 'del-by-id', 'Enabled');
    const key = 'a.txt';
    await putObjects(c, [{ key, body: Buffer.from('OLD content'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const [newer] = await putObjects(c, [{ key, body: Buffer.from('NEW content!'), headers: { 'Content-Type': 'application/json' }, meta: { rev: '2' } }]);
    const vNew = await versionOf(c, key);
    const r = resultOf(await duringCopy(w, key, () => w.invoke('del-by-id', [newer!]), async () => { await c.delete(key, { versionId: vNew } as OSS.RequestOptions); }), key)!;
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    const now = await takeSnapshot(c, key);
    expect({ body: now.body.toString(), ct: now.standard['content-type'], rev: now.userMeta['x-oss-meta-rev'], sse: now.sse }).toEqual({ body: 'OLD content', ct: 'text/plain', rev: '1', sse: undefined });
    expect(w.oss.requestLog.entries().filter((e) => e.op === 'CopyObject' && e.status === 200)).toEqual([]);
  });

  test('Suspended bucket, same race: refused too (the new version would be "null")', async () => {
    const c = await newBucket(w, 'del-by-id-susp', 'Enabled');
    const key = 'a.txt';
    await putObjects(c, [{ key, body: Buffer.from('OLD content'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const [newer] = await putObjects(c, [{ key, body: Buffer.from('NEW content!'), headers: { 'Content-Type': 'application/json' }, meta: { rev: '2' } }]);
    const vNew = await versionOf(c, key);
    await c.putBucketVersioning('del-by-id-susp', 'Suspended');
    const r = resultOf(await duringCopy(w, key, () => w.invoke('del-by-id-susp', [newer!]), async () => { await c.delete(key, { versionId: vNew } as OSS.RequestOptions); }), key)!;
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    const now = await takeSnapshot(c, key);
    expect({ body: now.body.toString(), ct: now.standard['content-type'], rev: now.userMeta['x-oss-meta-rev'] }).toEqual({ body: 'OLD content', ct: 'text/plain', rev: '1' });
  });

  test('the older version has the same bytes: the copy is caught by the source-version check and undone', async () => {
    const c = await newBucket(w, 'undo-same', 'Enabled');
    const key = 'a.txt';
    await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const [newer] = await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'application/json' }, meta: { rev: '2' } }]);
    const vNew = await versionOf(c, key);
    const r = resultOf(await duringCopy(w, key, () => w.invoke('undo-same', [newer!]), async () => { await c.delete(key, { versionId: vNew } as OSS.RequestOptions); }), key)!;
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(r.note).toMatch(/its result was deleted/);
    const now = await takeSnapshot(c, key);
    expect({ ct: now.standard['content-type'], rev: now.userMeta['x-oss-meta-rev'], sse: now.sse }).toEqual({ ct: 'text/plain', rev: '1', sse: undefined });
    expect((await versionsOf(c, key)).map((v) => v.rev)).toEqual(['1']);
  });

  test('the undo fails: UNDO_FAILED names the version to delete', async () => {
    const c = await newBucket(w, 'undo-fails', 'Enabled');
    const key = 'a.txt';
    await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const [newer] = await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'application/json' }, meta: { rev: '2' } }]);
    const vNew = await versionOf(c, key);
    const r = resultOf(await duringCopy(w, key, () => w.invoke('undo-fails', [newer!]), async () => {
      await c.delete(key, { versionId: vNew } as OSS.RequestOptions);
      // The held copy is already in flight; from now on every DeleteObject (the undo) fails.
      w.oss.faults.set([{ op: 'DeleteObject', kind: 'http500', rate: 1 }]);
    }), key)!;
    const made = await versionOf(c, key);
    expect(r).toMatchObject({ outcome: 'failed', reason: 'UNDO_FAILED' });
    expect(r.error!.message).toContain(`--version-id ${made}`);
  });
});

describe('versioned buckets, VERSIONED_PLAINTEXT=delete', () => {
  let w: World;
  beforeAll(async () => { w = await startWorld({ VERSIONED_PLAINTEXT: 'delete' }); });
  afterAll(() => w.close());

  test('Suspended versioning: the plaintext version made while Enabled is reported and deleted', async () => {
    const c = await newBucket(w, 'susp-delete', 'Enabled');
    const key = 'a.txt';
    const [obj] = await putObjects(c, [{ key, body: Buffer.from('secret'), headers: { 'Content-Type': 'text/plain' } }]);
    const plaintext = await versionOf(c, key);
    await c.putBucketVersioning('susp-delete', 'Suspended');
    expect(resultOf(await w.invoke('susp-delete', [obj!]), key)).toMatchObject({ outcome: 'encrypted', plaintextVersionId: plaintext, plaintextDeleted: true });
    expect((await versionsOf(c, key)).filter((v) => !v.sse)).toEqual([]);
  });

  test('a user\'s older plaintext version with the same bytes is kept and reported, not deleted', async () => {
    const c = await newBucket(w, 'history', 'Enabled');
    const key = 'a.txt';
    await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const older = await versionOf(c, key);
    // The older upload is from well before the event (outside the event's upload window).
    await w.oss.inspect.backdate('history', 5 * 60_000, key);
    const [obj] = await putObjects(c, [{ key, body: Buffer.from('same bytes'), headers: { 'Content-Type': 'text/csv' }, meta: { rev: '2' } }]);
    expect(resultOf(await w.invoke('history', [obj!]), key)).toMatchObject({ outcome: 'encrypted', plaintextDeleted: true });
    const echo = resultOf(await w.invoke('history', [{ ...obj!, eventName: 'ObjectCreated:CopyObject' }]), key)!;
    expect(echo).toMatchObject({ outcome: 'skipped', reason: 'already-encrypted', plaintextVersionsKept: [older] });
    expect(echo.plaintextDeleted).toBeUndefined();
    expect((await versionsOf(c, key)).map((v) => v.versionId)).toContain(older);
  });

  test('an event naming its versionId: that plaintext version goes even when a newer same-ETag version was rewritten', async () => {
    const c = await newBucket(w, 'event-version', 'Enabled');
    const key = 'a.txt';
    const [o1] = await putObjects(c, [{ key, body: Buffer.from('bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '1' } }]);
    const v1 = await versionOf(c, key);
    await putObjects(c, [{ key, body: Buffer.from('bytes'), headers: { 'Content-Type': 'text/plain' }, meta: { rev: '2' } }]);
    const summary = await w.fc.handler(Buffer.from(JSON.stringify({ events: [{
      eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventTime: new Date().toISOString(), eventVersion: '1.0', region: 'cn-hangzhou',
      oss: { bucket: { arn: 'acs:oss:cn-hangzhou:1234567890123456:event-version', name: 'event-version' }, object: { key, eTag: o1!.eTag, size: 5, versionId: v1 } },
    }] })), w.context()).catch((e: unknown) => (e as InvocationFailedError).summary);
    expect(resultOf(summary, key)).toMatchObject({ outcome: 'encrypted', plaintextDeleted: true, plaintextVersionIds: [v1] });
    expect((await versionsOf(c, key)).filter((v) => !v.sse)).toEqual([]);
  });
});

describe('SSE_ON_MISMATCH=reencrypt with VERSIONED_PLAINTEXT=delete', () => {
  test('the old version is encrypted: neither reported as plaintext nor deleted', async () => {
    const w = await startWorld({ SSE_ON_MISMATCH: 'reencrypt', VERSIONED_PLAINTEXT: 'delete', SSE_ALGORITHM: 'SM4' });
    try {
      const c = await newBucket(w, 'reencrypt', 'Enabled');
      const key = 'a.txt';
      const [obj] = await putObjects(c, [{ key, body: Buffer.from('aes'), headers: { 'Content-Type': 'text/plain', 'x-oss-server-side-encryption': 'AES256' } }]);
      const old = await versionOf(c, key);
      const r = resultOf(await w.invoke('reencrypt', [obj!]), key)!;
      expect(r).toMatchObject({ outcome: 'encrypted', reason: 'reencrypted-mismatch', algorithm: 'SM4' });
      expect(r.plaintextVersionId).toBeUndefined();
      expect((await versionsOf(c, key)).find((v) => v.versionId === old)).toMatchObject({ sse: 'AES256' });
    } finally {
      await w.close();
    }
  });
});

describe('multipart: ACL and tag changes during the part copies', () => {
  let w: World;
  let c: Client & { putObjectTagging(k: string, t: Record<string, string>): Promise<unknown> };
  beforeAll(async () => {
    w = await startWorld({ MULTIPART_CONCURRENCY: '1' });
    c = (await newBucket(w, 'mp-windows')) as typeof c;
  });
  afterAll(() => w.close());
  afterEach(() => w.oss.faults.clear());

  async function duringParts(key: string, obj: { key: string; eTag: string; size: number }, change: () => Promise<unknown>) {
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'UploadPartCopy', kind: 'slow', rate: 1, delayMs: 800, times: 1 }]);
    const pending = w.invoke('mp-windows', [obj]);
    await logged(w, 'InitiateMultipartUpload', key);
    await new Promise((r) => setTimeout(r, 100));
    await change();
    return resultOf(await pending, key)!;
  }

  test('a PutObjectAcl during the part copies is kept (the ACL is read again right before Complete)', async () => {
    const key = 'acl.bin';
    const [o] = await putObjects(c, [{ key, body: Buffer.alloc(THRESHOLD + PART, 3), headers: { 'x-oss-object-acl': 'public-read' } }]);
    expect(await duringParts(key, o!, () => c.putACL(key, 'private'))).toMatchObject({ outcome: 'encrypted', method: 'multipart' });
    expect((await c.getACL(key)).acl).toBe('private');
  });

  test('a PutObjectTagging during the part copies is kept (put back after Complete)', async () => {
    const key = 'tags.bin';
    const [o] = await putObjects(c, [{ key, body: Buffer.alloc(THRESHOLD + PART, 4), headers: { 'x-oss-tagging': 'state=draft' } }]);
    expect(await duringParts(key, o!, () => c.putObjectTagging(key, { state: 'final' }))).toMatchObject({ outcome: 'encrypted', method: 'multipart' });
    expect((await c.getObjectTagging(key)).tag).toEqual({ state: 'final' });
  });
});
