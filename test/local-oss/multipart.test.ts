/**
 * Multipart upload through ali-oss (V1 and V4): Initiate with SSE/class/meta/tagging, UploadPart, UploadPartCopy
 * with ranges (part ETag in the response header), Complete limits, Abort, ListParts, ListMultipartUploads.
 */
import { createHash } from 'node:crypto';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

type Headers = Record<string, string>;
type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();
const MIN = 1024;

describe.each([['V1', false], ['V4', true]])('multipart (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));

  beforeAll(async () => {
    oss = await startTestOss({ multipartMinPartBytes: MIN });
    c = ossClient(oss, 'test-bucket', { v4 });
  });
  afterAll(() => oss.close());

  it('initiates with SSE, class, metadata and tags, uploads parts and completes into a Multipart object', async () => {
    const key = '多段/上传 a+b%.bin';
    const init = await c.initMultipartUpload(key, {
      headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-storage-class': 'IA', 'Content-Type': 'application/x-test', 'Cache-Control': 'no-cache', 'x-oss-tagging': 'k=v' },
      meta: { who: 'me' },
    } as unknown as OSS.InitMultipartUploadOptions);
    expect((init.res.headers as Headers)['x-oss-server-side-encryption']).toBe('KMS');
    const p1 = bytes(MIN, 1); const p2 = bytes(100, 2);
    const r1 = await c.uploadPart(key, init.uploadId, 1, p1, 0, p1.length);
    const r2 = await c.uploadPart(key, init.uploadId, 2, p2, 0, p2.length);
    expect(r1.etag).toBe(`"${md5(p1)}"`);
    const parts = await c.listParts(key, init.uploadId, {} as never);
    expect((parts.parts as unknown as Array<{ PartNumber: string; Size: string }>).map((p) => [p.PartNumber, p.Size])).toEqual([['1', String(MIN)], ['2', '100']]);
    expect(oss.inspect.multipartUploads('test-bucket')).toEqual([{ key, uploadId: init.uploadId, parts: 2 }]);
    const done = await c.completeMultipartUpload(key, init.uploadId, [{ number: 1, etag: r1.etag }, { number: 2, etag: r2.etag }]);
    expect(done.res.status).toBe(200);
    const h = (await c.head(key)).res.headers as Headers;
    expect(h).toMatchObject({
      'x-oss-object-type': 'Multipart', 'x-oss-storage-class': 'IA', 'content-type': 'application/x-test', 'cache-control': 'no-cache',
      'x-oss-meta-who': 'me', 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': oss.kms.defaultKeyId(), 'x-oss-tagging-count': '1',
      'content-length': String(MIN + 100),
    });
    expect(h.etag).toMatch(/^"[0-9A-F]{32}-2"$/);
    expect(h['content-md5']).toBeUndefined();
    expect(Buffer.from((await c.get(key)).content).equals(Buffer.concat([p1, p2]))).toBe(true);
    expect(oss.inspect.multipartUploads('test-bucket')).toEqual([]);
    const stored = await oss.inspect.storedBytes('test-bucket', key);
    expect(stored.includes(p1.subarray(0, 64))).toBe(false);
  });

  it('UploadPartCopy copies ranges (ETag in the response header) and re-encrypts with the upload SSE', async () => {
    const src = bytes(3000, 7);
    await c.put('upc-src', src, { headers: { 'x-oss-server-side-encryption': 'SM4' } } as OSS.PutObjectOptions);
    const init = await c.initMultipartUpload('upc-dest', { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.InitMultipartUploadOptions);
    const a = await c.uploadPartCopy('upc-dest', init.uploadId, 1, '0-1499', { sourceKey: 'upc-src', sourceBucketName: 'test-bucket' }, {});
    const b = await c.uploadPartCopy('upc-dest', init.uploadId, 2, '1500-2999', { sourceKey: 'upc-src', sourceBucketName: 'test-bucket' }, {});
    expect(a.etag).toBe(`"${md5(src.subarray(0, 1500))}"`);
    expect(b.etag).toBe(`"${md5(src.subarray(1500))}"`);
    await c.completeMultipartUpload('upc-dest', init.uploadId, [{ number: 1, etag: a.etag }, { number: 2, etag: b.etag }]);
    expect(Buffer.from((await c.get('upc-dest')).content).equals(src)).toBe(true);
    expect(((await c.head('upc-dest')).res.headers as Headers)['x-oss-server-side-encryption']).toBe('AES256');
  });

  it('UploadPartCopy with an invalid range copies the whole source, and honours copy-source conditions', async () => {
    const src = bytes(1200, 3);
    await c.put('upc-whole', src);
    const init = await c.initMultipartUpload('upc-whole-dest');
    const whole = await c.uploadPartCopy('upc-whole-dest', init.uploadId, 1, '0-999999', { sourceKey: 'upc-whole', sourceBucketName: 'test-bucket' }, {});
    expect(whole.etag).toBe(`"${md5(src)}"`);
    const err = await failure(c.uploadPartCopy('upc-whole-dest', init.uploadId, 2, '0-9', { sourceKey: 'upc-whole', sourceBucketName: 'test-bucket' },
      { headers: { 'x-oss-copy-source-if-match': '"nope"' } } as never));
    expect(err).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    await c.abortMultipartUpload('upc-whole-dest', init.uploadId);
  });

  it('refuses SSE headers on UploadPart, Appendable copy sources, parts below the minimum and bad part lists', async () => {
    const init = await c.initMultipartUpload('limits');
    const small = bytes(10, 1);
    // ali-oss strips x-oss-server-side-encryption from UploadPart itself, but passes the key-id header through.
    expect(await failure(c.uploadPart('limits', init.uploadId, 1, small, 0, 10, { headers: { 'x-oss-server-side-encryption-key-id': 'k' } } as never)))
      .toMatchObject({ status: 400, code: 'InvalidArgument' });
    const p1 = await c.uploadPart('limits', init.uploadId, 1, small, 0, 10);
    const p2 = await c.uploadPart('limits', init.uploadId, 2, small, 0, 10);
    expect(await failure(c.completeMultipartUpload('limits', init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }])))
      .toMatchObject({ status: 400, code: 'EntityTooSmall' });
    expect(await failure(c.completeMultipartUpload('limits', init.uploadId, [{ number: 1, etag: '"0123"' }])))
      .toMatchObject({ status: 400, code: 'InvalidPart' });
    expect(await failure(c.uploadPart('limits', init.uploadId, 10001, small, 0, 10))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    await c.append('appendable', Buffer.from('x'));
    expect(await failure(c.uploadPartCopy('limits', init.uploadId, 3, '', { sourceKey: 'appendable', sourceBucketName: 'test-bucket' }, {})))
      .toMatchObject({ status: 400, code: 'InvalidArgument' });
    // A single small part is fine: only parts before the last have a minimum.
    await c.completeMultipartUpload('limits', init.uploadId, [{ number: 1, etag: p1.etag }]);
    expect(((await c.head('limits')).res.headers as Headers)['content-length']).toBe('10');
  });

  it('records every part when parts arrive in parallel', async () => {
    const init = await c.initMultipartUpload('parallel');
    const parts = Array.from({ length: 8 }, (_, i) => bytes(MIN + i, i));
    const done = await Promise.all(parts.map((p, i) => c.uploadPart('parallel', init.uploadId, i + 1, p, 0, p.length)));
    expect(oss.inspect.multipartUploads('test-bucket').find((u) => u.uploadId === init.uploadId)?.parts).toBe(8);
    await c.completeMultipartUpload('parallel', init.uploadId, done.map((d, i) => ({ number: i + 1, etag: d.etag })));
    expect(Buffer.from((await c.get('parallel')).content).equals(Buffer.concat(parts))).toBe(true);
  });

  it('aborts, lists uploads, and answers NoSuchUpload for unknown or finished uploads', async () => {
    const a = await c.initMultipartUpload('list/a');
    const b = await c.initMultipartUpload('list/b');
    const listed = await c.listUploads({ prefix: 'list/' });
    expect(listed.uploads.map((u: { name: string; uploadId: string }) => [u.name, u.uploadId])).toEqual([['list/a', a.uploadId], ['list/b', b.uploadId]]);
    await c.abortMultipartUpload('list/a', a.uploadId);
    await c.abortMultipartUpload('list/b', b.uploadId);
    expect((await c.listUploads({ prefix: 'list/' })).uploads).toEqual([]);
    expect(await failure(c.uploadPart('list/a', a.uploadId, 1, Buffer.from('x'), 0, 1))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
    expect(await failure(c.abortMultipartUpload('list/a', 'NOPE'))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
  });
});

describe('CompleteMultipartUpload and x-oss-object-acl (oss-evidence.md §14)', () => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => { oss = await startTestOss({ multipartMinPartBytes: MIN }); c = ossClient(oss, 'test-bucket'); });
  afterAll(() => oss.close());

  const upload = async (key: string, initHeaders: Headers = {}) => {
    const init = await c.initMultipartUpload(key, { headers: initHeaders } as never);
    const part = await c.uploadPart(key, init.uploadId, 1, Buffer.from('abc'), 0, 3);
    return { uploadId: init.uploadId, parts: [{ number: 1, etag: part.etag }] };
  };

  it('applies the ACL sent on Complete', async () => {
    const { uploadId, parts } = await upload('acl/on-complete');
    await c.completeMultipartUpload('acl/on-complete', uploadId, parts, { headers: { 'x-oss-object-acl': 'private' } } as never);
    expect((await c.getACL('acl/on-complete')).acl).toBe('private');
  });

  it('lets the ACL on Complete win over the one from Initiate, and keeps Initiate\'s when Complete sends none', async () => {
    const a = await upload('acl/both', { 'x-oss-object-acl': 'public-read' });
    await c.completeMultipartUpload('acl/both', a.uploadId, a.parts, { headers: { 'x-oss-object-acl': 'private' } } as never);
    expect((await c.getACL('acl/both')).acl).toBe('private');
    const b = await upload('acl/initiate-only', { 'x-oss-object-acl': 'public-read' });
    await c.completeMultipartUpload('acl/initiate-only', b.uploadId, b.parts);
    expect((await c.getACL('acl/initiate-only')).acl).toBe('public-read');
  });

  it('refuses an invalid ACL on Complete and leaves the upload open', async () => {
    const { uploadId, parts } = await upload('acl/bad');
    const err = await failure(c.completeMultipartUpload('acl/bad', uploadId, parts, { headers: { 'x-oss-object-acl': 'secret' } } as never));
    expect(err).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(oss.inspect.multipartUploads('test-bucket').some((u) => u.uploadId === uploadId)).toBe(true);
  });
});

describe('ListMultipartUploads ordering and paging (issue 11 item 11)', () => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => { oss = await startTestOss(); c = ossClient(oss, 'test-bucket'); });
  afterAll(() => oss.close());

  it('orders uploads of one key by upload ID and pages through each exactly once', async () => {
    const ids: Array<[string, string]> = [];
    for (const key of ['pg/b', 'pg/a', 'pg/b', 'pg/b', 'pg/c', 'pg/b', 'pg/b', 'pg/b']) ids.push([key, (await c.initMultipartUpload(key)).uploadId]);
    const expected = [...ids].sort((x, y) => (x[0] === y[0] ? (x[1] < y[1] ? -1 : 1) : x[0] < y[0] ? -1 : 1));
    const all = await c.listUploads({ prefix: 'pg/' });
    expect(all.uploads.map((u: { name: string; uploadId: string }) => [u.name, u.uploadId])).toEqual(expected);

    const seen: Array<[string, string]> = [];
    let marker: Record<string, string> = {};
    for (let page = 0; page < 10; page++) {
      const r = await c.listUploads({ prefix: 'pg/', 'max-uploads': 2, ...marker });
      seen.push(...r.uploads.map((u: { name: string; uploadId: string }) => [u.name, u.uploadId] as [string, string]));
      if (!r.isTruncated) break;
      marker = { 'key-marker': r.nextKeyMarker, 'upload-id-marker': r.nextUploadIdMarker };
    }
    expect(seen).toEqual(expected);
  });

  it('refuses a page size outside 1..1000 (max-uploads, max-parts) instead of an endless truncated empty page', async () => {
    const { uploadId } = await c.initMultipartUpload('pg/z');
    for (const v of ['0', '1001', '-1', 'x']) {
      expect(await failure(c.listUploads({ prefix: 'pg/', 'max-uploads': v } as never))).toMatchObject({ status: 400, code: 'InvalidArgument' });
      expect(await failure(c.listParts('pg/z', uploadId, { 'max-parts': v } as never))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    }
    expect((await c.listParts('pg/z', uploadId, { 'max-parts': '1000' } as never)).parts).toEqual([]);
    await c.abortMultipartUpload('pg/z', uploadId);
  });

  it('with only key-marker, lists the keys after it', async () => {
    const r = await c.listUploads({ prefix: 'pg/', 'key-marker': 'pg/b' });
    expect(r.uploads.map((u: { name: string }) => u.name)).toEqual(['pg/c']);
  });
});
