/**
 * Multipart path (lowered threshold), versioned buckets (keep/delete the plaintext version), and the
 * end-to-end trigger: an upload fires the local OSS notification into the handler, and the handler's
 * own CopyObject event comes back and is skipped, so there is no loop.
 */
import { randomBytes } from 'node:crypto';
import { BUCKET, CMK, headers, ossEvent, snapshot, startHarness, upload, type Harness } from './harness';
import { InvocationFailedError } from '../../src/errors';
import { encryptObject } from '../../src/core/encrypt';

const PART = 100 * 1024;
const MULTIPART_ENV = { MULTIPART_THRESHOLD_BYTES: String(2 * PART), MULTIPART_PART_BYTES: String(PART), MULTIPART_CONCURRENCY: '3' };

describe('multipart path above the threshold', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ ...MULTIPART_ENV, SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: CMK }, { copyChangeLimitBytes: 2 * PART });
  });
  afterEach(() => h.close());

  it('encrypts with Initiate + UploadPartCopy + Complete, keeping bytes, metadata, tags, class and ACL', async () => {
    const body = randomBytes(5 * PART + 1234);
    const obj = await upload(h.client, 'big/video.mp4', body, {
      headers: {
        'Content-Type': 'video/mp4',
        'Cache-Control': 'no-store',
        'Content-Disposition': 'inline',
        'Content-Language': 'en',
        'x-oss-storage-class': 'IA',
        'x-oss-tagging': 'a=1&b=two',
        'x-oss-object-acl': 'public-read',
      },
      meta: { camera: 'x100' },
    });
    const before = await snapshot(h.client, obj.key);
    h.oss.requestLog.clear();

    const s = await h.handler.handler(ossEvent([obj]), h.context());

    const ops = h.oss.requestLog.counts({ bucket: BUCKET, key: obj.key });
    expect(s.results[0]).toMatchObject({ outcome: 'encrypted', method: 'multipart', algorithm: 'KMS', kmsKeyId: CMK, size: body.length });
    expect(ops).toMatchObject({ HeadObject: 1, GetObjectACL: 2, GetObjectTagging: 2, InitiateMultipartUpload: 1, UploadPartCopy: 6, CompleteMultipartUpload: 1 });
    // The ACL travels on Complete (evidence §14): no PutObjectAcl, no moment with the bucket's ACL.
    expect(ops.PutObjectACL).toBeUndefined();
    expect(ops.CopyObject).toBeUndefined();
    const after = await snapshot(h.client, obj.key);
    expect(after.body.equals(body)).toBe(true);
    expect(after.headers).toEqual(before.headers);
    expect(after.tags).toEqual({ a: '1', b: 'two' });
    expect(after.acl).toBe('public-read');
    const hd = await headers(h.client, obj.key);
    expect(hd['x-oss-server-side-encryption']).toBe('KMS');
    expect(hd['x-oss-server-side-encryption-key-id']).toBe(CMK);
    expect(h.oss.inspect.multipartUploads(BUCKET)).toEqual([]);
  });

  it('aborts the upload when a part copy keeps failing, leaving the original untouched', async () => {
    const body = randomBytes(3 * PART);
    const obj = await upload(h.client, 'big/fail.bin', body, { meta: { keep: 'yes' } });
    h.oss.faults.set([{ op: 'UploadPartCopy', rate: 1, kind: 'http500' }]);
    const err = await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e);
    h.oss.faults.clear();
    expect(err).toBeInstanceOf(InvocationFailedError);
    expect((err as InvocationFailedError).summary.results[0]).toMatchObject({ outcome: 'failed', reason: 'OSS_InternalError', method: 'multipart' });
    expect(h.oss.requestLog.counts({ key: obj.key }).AbortMultipartUpload).toBe(1);
    expect(h.oss.inspect.multipartUploads(BUCKET)).toEqual([]);
    const hd = await headers(h.client, obj.key);
    expect(hd['x-oss-server-side-encryption']).toBeUndefined();
    expect(hd['x-oss-meta-keep']).toBe('yes');
    expect(((await h.client.get(obj.key)).content as Buffer).equals(body)).toBe(true);
  });

  it('an overwrite during the part copies (If-Match) skips as replaced, aborts, and keeps the new object', async () => {
    const obj = await upload(h.client, 'big/race.bin', randomBytes(3 * PART));
    const gw = h.gateway();
    const racing = {
      ...gw,
      initMultipart: async (bucket: string, key: string, hdrs: Record<string, string>) => {
        const r = await gw.initMultipart(bucket, key, hdrs);
        await h.client.put(key, Buffer.from('tiny newer object'));
        return r;
      },
    };
    const r = await encryptObject({ bucket: BUCKET, key: obj.key, eTag: obj.eTag }, { oss: racing, policy: h.policy, logger: h.logs.logger });
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'replaced', method: 'multipart' });
    expect(h.oss.inspect.multipartUploads(BUCKET)).toEqual([]);
    expect(((await h.client.get(obj.key)).content as Buffer).toString()).toBe('tiny newer object');
  });
});

describe('versioned buckets', () => {
  it.each(['keep', 'delete'] as const)('VERSIONED_PLAINTEXT=%s', async (mode) => {
    const h = await startHarness({ VERSIONED_PLAINTEXT: mode });
    try {
      await h.client.putBucketVersioning(BUCKET, 'Enabled');
      const body = Buffer.from('versioned content');
      const obj = await upload(h.client, 'v/doc.txt', body, { meta: { rev: '1' } });
      const plainVersion = (await headers(h.client, obj.key))['x-oss-version-id'];
      expect(plainVersion).toBeTruthy();

      const s = await h.handler.handler(ossEvent([obj]), h.context());

      expect(s.results[0]).toMatchObject({ outcome: 'encrypted', plaintextVersionId: plainVersion });
      const current = await headers(h.client, obj.key);
      expect(current['x-oss-server-side-encryption']).toBe('AES256');
      expect(current['x-oss-meta-rev']).toBe('1');
      expect(current['x-oss-version-id']).not.toBe(plainVersion);
      const versions = (await h.client.getBucketVersions({ prefix: 'v/' })).objects.map((o) => o.versionId);
      if (mode === 'keep') {
        expect(versions).toContain(plainVersion);
        expect(s.results[0]!.plaintextDeleted).toBeUndefined();
      } else {
        expect(versions).not.toContain(plainVersion);
        expect(versions).toEqual([current['x-oss-version-id']]);
        expect(s.results[0]!.plaintextDeleted).toBe(true);
      }
      const line = h.logs.lines().find((l) => l.key === obj.key && l.outcome === 'encrypted');
      expect(line).toMatchObject({ plaintextVersionId: plainVersion });
      expect(((await h.client.get(obj.key)).content as Buffer).equals(body)).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('end to end: OSS notification → handler', () => {
  it('an upload fires the trigger, the object ends up encrypted, and the echo CopyObject event is skipped', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'SM4' });
    try {
      const invocations: Array<{ total: number; encrypted: number; skipped: number; reasons: string[] }> = [];
      h.oss.notifications.subscribe(BUCKET, { events: ['oss:ObjectCreated:*'], prefix: 'in/' }, async (event) => {
        const s = await h.handler.handler(Buffer.from(JSON.stringify(event)), h.context());
        invocations.push({ total: s.total, encrypted: s.encrypted, skipped: s.skipped, reasons: s.results.map((r) => r.reason) });
      });
      const body = randomBytes(2048);
      await h.client.put('in/photo.jpg', body, { headers: { 'Content-Type': 'image/jpeg' }, meta: { by: 'e2e' } } as never);
      await h.oss.notifications.idle();

      const hd = await headers(h.client, 'in/photo.jpg');
      expect(hd['x-oss-server-side-encryption']).toBe('SM4');
      expect(hd['content-type']).toBe('image/jpeg');
      expect(hd['x-oss-meta-by']).toBe('e2e');
      expect(((await h.client.get('in/photo.jpg')).content as Buffer).equals(body)).toBe(true);
      // PutObject → encrypted; the handler's own CopyObject → already-encrypted; nothing more.
      expect(invocations).toEqual([
        { total: 1, encrypted: 1, skipped: 0, reasons: ['unencrypted'] },
        { total: 1, encrypted: 0, skipped: 1, reasons: ['already-encrypted'] },
      ]);
    } finally {
      await h.close();
    }
  });
});
