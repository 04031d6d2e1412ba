/**
 * Issue #10 items 3 and 4: a versioned bucket with VERSIONED_PLAINTEXT=delete never keeps a plaintext version of the
 * key that the function reported (or should have reported) removed: a copy response lost and retried, a DeleteObject
 * that fails after a good copy (FC's retry finishes it), and an event whose upload was replaced. Each run ends with
 * the key's full version listing checked: one current encrypted version, no plaintext version anywhere.
 */
import type OSS from 'ali-oss';
import { diffSnapshots, takeSnapshot } from '../helpers/snapshot';
import type { OssExtras } from '../helpers/local-oss';
import { PART, THRESHOLD, putObjects, resultOf, startWorld, type World } from './world';

describe('versioned bucket, VERSIONED_PLAINTEXT=delete', () => {
  let w: World;
  let client: OSS & OssExtras;
  const bucket = 'versioned-delete';
  beforeAll(async () => {
    w = await startWorld({ VERSIONED_PLAINTEXT: 'delete', RETRY_MAX_ATTEMPTS: '3' });
    await w.oss.createBucket(bucket);
    client = w.client(bucket) as OSS & OssExtras;
    await client.putBucketVersioning(bucket, 'Enabled');
  });
  afterAll(() => w.close());
  afterEach(() => w.oss.faults.clear());

  /** Every version of `key` with its encryption, newest first. */
  async function versionsOf(key: string): Promise<Array<{ versionId: string; isLatest: boolean; sse?: string }>> {
    const listed = await client.getBucketVersions({ prefix: key });
    const out = [];
    for (const v of listed.objects.filter((o) => o.name === key)) {
      const h = (await client.head(key, { versionId: v.versionId } as OSS.HeadObjectOptions)).res.headers as Record<string, string>;
      out.push({ versionId: v.versionId, isLatest: v.isLatest, ...(h['x-oss-server-side-encryption'] ? { sse: h['x-oss-server-side-encryption'] } : {}) });
    }
    return out;
  }
  const versionOf = async (key: string) => String(((await client.head(key)).res.headers as Record<string, string>)['x-oss-version-id']);

  test.each([
    ['copy', 3000],
    ['multipart', THRESHOLD + PART],
  ])('%s response lost after OSS acted: the retry recognises the rewrite and deletes exactly the plaintext version HEAD saw', async (method, size) => {
    const key = `lost/${method}.bin`;
    const [obj] = await putObjects(client, [{ key, body: Buffer.alloc(size, 7), headers: { 'Content-Type': 'application/octet-stream', 'x-oss-object-acl': 'private', 'x-oss-tagging': 'a=1' }, meta: { m: '1' } }]);
    const plaintext = await versionOf(key);
    const before = await takeSnapshot(client, key);
    const op = method === 'copy' ? 'CopyObject' : 'CompleteMultipartUpload';
    w.oss.faults.set([{ op, kind: 'drop-after', rate: 1, times: 1 }]);
    const r = resultOf(await w.invoke(bucket, [obj!]), key)!;
    expect(r).toMatchObject({ outcome: 'encrypted', method, plaintextVersionId: plaintext, plaintextDeleted: true });
    const versions = await versionsOf(key);
    expect(versions.filter((v) => !v.sse)).toEqual([]);
    expect(versions.map((v) => v.versionId)).not.toContain(plaintext);
    expect(diffSnapshots(before, await takeSnapshot(client, key))).toEqual([]);
  });

  test('DeleteObject fails after a good copy: reported failed, and FC\'s retry deletes the plaintext version', async () => {
    const key = 'delete-fails/a.txt';
    const [obj] = await putObjects(client, [{ key, body: Buffer.from('plain'), headers: { 'Content-Type': 'text/plain' } }]);
    const plaintext = await versionOf(key);
    w.oss.faults.set([{ op: 'DeleteObject', kind: 'http500', rate: 1 }]);
    const first = resultOf(await w.invoke(bucket, [obj!]), key)!;
    expect(first).toMatchObject({ outcome: 'failed', reason: 'PLAINTEXT_NOT_DELETED' });
    expect(first.error!.message).toContain(plaintext);
    expect((await versionsOf(key)).filter((v) => !v.sse).map((v) => v.versionId)).toEqual([plaintext]);
    w.oss.faults.clear();
    const retry = resultOf(await w.invoke(bucket, [obj!]), key)!;
    expect(retry).toMatchObject({ outcome: 'skipped', reason: 'already-encrypted', plaintextVersionIds: [plaintext], plaintextDeleted: true });
    expect((await versionsOf(key)).filter((v) => !v.sse)).toEqual([]);
  });

  test('an event whose upload was replaced deletes that upload\'s plaintext version; the newer one is encrypted by its own event', async () => {
    const key = 'replaced/a.txt';
    const [v1] = await putObjects(client, [{ key, body: Buffer.from('first'), headers: { 'Content-Type': 'text/plain' } }]);
    const first = await versionOf(key);
    const [v2] = await putObjects(client, [{ key, body: Buffer.from('second upload'), headers: { 'Content-Type': 'text/csv' } }]);
    const newest = await takeSnapshot(client, key);
    expect(resultOf(await w.invoke(bucket, [v1!]), key)).toMatchObject({ outcome: 'skipped', reason: 'replaced', plaintextVersionIds: [first], plaintextDeleted: true });
    expect(resultOf(await w.invoke(bucket, [v2!]), key)).toMatchObject({ outcome: 'encrypted', plaintextDeleted: true });
    expect((await versionsOf(key)).filter((v) => !v.sse)).toEqual([]);
    const after = await takeSnapshot(client, key);
    expect(after.body.toString()).toBe('second upload');
    expect(diffSnapshots(newest, after)).toEqual([]);
  });

  test('the echo of our own copy costs one listing and deletes nothing more', async () => {
    const key = 'echo/a.txt';
    const [obj] = await putObjects(client, [{ key, body: Buffer.from('echo me'), headers: { 'Content-Type': 'text/plain' } }]);
    expect(resultOf(await w.invoke(bucket, [obj!]), key)).toMatchObject({ outcome: 'encrypted', plaintextDeleted: true });
    const encrypted = await versionsOf(key);
    w.oss.requestLog.clear();
    const echo = resultOf(await w.invoke(bucket, [{ ...obj!, eventName: 'ObjectCreated:CopyObject' }]), key)!;
    expect(echo).toMatchObject({ outcome: 'skipped', reason: 'already-encrypted' });
    expect(echo.plaintextDeleted).toBeUndefined();
    expect(w.oss.requestLog.counts({ bucket })).toEqual({ HeadObject: 1, ListObjectVersions: 1 });
    expect(await versionsOf(key)).toEqual(encrypted);
  });
});
