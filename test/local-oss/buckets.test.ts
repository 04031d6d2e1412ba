/**
 * Bucket operations through ali-oss (V1 and V4): Put/Delete/ListBuckets, GetBucketInfo, default encryption rules,
 * versioning with delete markers and ListObjectVersions.
 */
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

type Headers = Record<string, string>;
type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);

describe.each([['V1', false], ['V4', true]])('buckets (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  const suffix = v4 ? 'v4' : 'v1';
  beforeAll(async () => {
    oss = await startTestOss({ kms: { keys: [{ id: 'bucket-cmk' }] } });
    c = ossClient(oss, 'test-bucket', { v4 });
  });
  afterAll(() => oss.close());

  it('creates, lists, describes and deletes buckets', async () => {
    const name = `made-${suffix}`;
    await c.putBucket(name, { storageClass: 'IA' } as never);
    const listed = await c.listBuckets({}) as unknown as { buckets?: Array<{ name: string; region: string; storageClass: string }> };
    expect(listed.buckets?.map((b) => b.name)).toEqual([name, 'test-bucket'].sort());
    expect(listed.buckets?.find((b) => b.name === name)).toMatchObject({ region: 'oss-cn-hangzhou', storageClass: 'IA' });
    const info = await c.getBucketInfo(name);
    expect(info.bucket).toMatchObject({ Name: name, Location: 'oss-cn-hangzhou', StorageClass: 'IA', AccessControlList: { Grant: 'private' } });
    await ossClient(oss, name, { v4 }).put('x', Buffer.from('x'));
    expect(await failure(c.deleteBucket(name))).toMatchObject({ status: 409, code: 'BucketNotEmpty' });
    await ossClient(oss, name, { v4 }).delete('x');
    await c.deleteBucket(name);
    expect(await failure(c.getBucketInfo(name))).toMatchObject({ status: 404, code: 'NoSuchBucket' });
    // ali-oss refuses a bad name before sending; the server-side check is reached through the programmatic API.
    await expect(oss.createBucket('Bad_Name')).rejects.toMatchObject({ code: 'InvalidBucketName' });
  });

  it('applies the bucket default encryption to writes without SSE headers, not over explicit ones', async () => {
    const name = `enc-${suffix}`;
    await oss.createBucket(name);
    const b = ossClient(oss, name, { v4 });
    expect(await failure(c.getBucketEncryption(name))).toMatchObject({ status: 404, code: 'NoSuchServerSideEncryptionRule' });
    await c.putBucketEncryption(name, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'bucket-cmk' });
    expect((await c.getBucketEncryption(name)).encryption).toMatchObject({ SSEAlgorithm: 'KMS', KMSMasterKeyID: 'bucket-cmk' });
    expect((await c.getBucketInfo(name)).bucket).toMatchObject({ ServerSideEncryptionRule: { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'bucket-cmk' } });
    const put = await b.put('auto', Buffer.from('secret words'));
    expect(put.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'bucket-cmk' });
    expect((await oss.inspect.storedBytes(name, 'auto')).includes(Buffer.from('secret words'))).toBe(false);
    await b.put('explicit', Buffer.from('x'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
    expect(((await b.head('explicit')).res.headers as Headers)['x-oss-server-side-encryption']).toBe('AES256');
    await b.put('src', Buffer.from('copy me'));
    await b.copy('copied', 'src');
    expect(((await b.head('copied')).res.headers as Headers)['x-oss-server-side-encryption-key-id']).toBe('bucket-cmk');
    expect(await failure(c.putBucketEncryption(name, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'missing-key' }))).toMatchObject({ status: 404, code: 'KeyNotFound' });
    await c.deleteBucketEncryption(name);
    await b.put('after', Buffer.from('x'));
    expect(((await b.head('after')).res.headers as Headers)['x-oss-server-side-encryption']).toBeUndefined();
  });

  it('versions objects, adds delete markers and lists versions', async () => {
    const name = `ver-${suffix}`;
    await oss.createBucket(name);
    const b = ossClient(oss, name, { v4 });
    expect((await c.getBucketVersioning(name)).versionStatus).toBeUndefined();
    await c.putBucketVersioning(name, 'Enabled');
    expect((await c.getBucketVersioning(name)).versionStatus).toBe('Enabled');
    const v1 = (await b.put('doc', Buffer.from('one'))).res.headers as Headers;
    const v2 = (await b.put('doc', Buffer.from('two'))).res.headers as Headers;
    expect(v1['x-oss-version-id']).not.toBe(v2['x-oss-version-id']);
    expect((await b.get('doc', { versionId: v1['x-oss-version-id'] } as never)).content.toString()).toBe('one');
    const del = await b.delete('doc');
    expect(del.res.headers).toMatchObject({ 'x-oss-delete-marker': 'true' });
    expect(await failure(b.get('doc'))).toMatchObject({ status: 404 });
    const listed = await b.getBucketVersions({} as never) as unknown as { objects: Array<{ versionId: string; isLatest: boolean }>; deleteMarker: Array<{ versionId: string }> };
    expect(listed.objects.map((o) => [o.versionId, o.isLatest])).toEqual([[v2['x-oss-version-id'], false], [v1['x-oss-version-id'], false]]);
    const markerId = (del.res.headers as Headers)['x-oss-version-id']!;
    expect(listed.deleteMarker.map((m) => m.versionId)).toEqual([markerId]);
    expect(await failure(b.get('doc', { versionId: markerId } as never))).toMatchObject({ status: 405, code: 'MethodNotAllowed' });
    expect(await failure(b.copy('doc-copy', 'doc', { versionId: markerId } as never))).toMatchObject({ status: 404, code: 'NoSuchKey' });
    // Removing the delete marker brings the latest version back.
    await b.delete('doc', { versionId: markerId } as never);
    expect((await b.get('doc')).content.toString()).toBe('two');
    expect((await b.list({} as never, {})).objects.map((o) => o.name)).toEqual(['doc']);
    expect(await failure(b.head('doc', { versionId: 'CAEQnotthere' } as never))).toMatchObject({ status: 404 });
  });

  it('gets and puts the bucket ACL and reads the location', async () => {
    const name = `acl-${suffix}`;
    await oss.createBucket(name);
    expect((await c.getBucketACL(name)).acl).toBe('private');
    await c.putBucketACL(name, 'public-read');
    expect((await c.getBucketACL(name)).acl).toBe('public-read');
    expect((await c.getBucketLocation(name)).location).toBe('oss-cn-hangzhou');
  });

  it('suspended versioning replaces the null version and pages ListObjectVersions with markers', async () => {
    const name = `susp-${suffix}`;
    await oss.createBucket(name);
    const b = ossClient(oss, name, { v4 });
    await c.putBucketVersioning(name, 'Enabled');
    for (const body of ['1', '2', '3']) await b.put('k', Buffer.from(body));
    await c.putBucketVersioning(name, 'Suspended');
    const n1 = (await b.put('k', Buffer.from('n1'))).res.headers as Headers;
    const n2 = (await b.put('k', Buffer.from('n2'))).res.headers as Headers;
    expect([n1['x-oss-version-id'], n2['x-oss-version-id']]).toEqual(['null', 'null']);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await b.getBucketVersions({ 'max-keys': 2, ...(keyMarker ? { keyMarker, versionIdMarker } : {}) }) as unknown as {
        objects: Array<{ versionId: string }>; nextMarker: string | null; NextVersionIdMarker: string | null; isTruncated: boolean };
      seen.push(...r.objects.map((o) => o.versionId));
      if (!r.isTruncated) break;
      keyMarker = r.nextMarker ?? undefined;
      versionIdMarker = r.NextVersionIdMarker ?? undefined;
    }
    expect(seen).toHaveLength(4);
    expect(seen[0]).toBe('null');
    expect(new Set(seen).size).toBe(4);
    expect((await b.get('k')).content.toString()).toBe('n2');
  });
});

describe('region given in the ali-oss spelling', () => {
  it('startLocalOss({ region: "oss-cn-shanghai" }) serves V4 clients and reports the location once prefixed', async () => {
    const oss = await startTestOss({ region: 'oss-cn-shanghai' });
    try {
      expect(oss.region).toBe('cn-shanghai');
      const v4 = ossClient(oss, 'test-bucket', { v4: true });
      expect((await v4.put('k', Buffer.from('x'))).res.status).toBe(200);
      expect((await v4.getBucketLocation('test-bucket')).location).toBe('oss-cn-shanghai');
    } finally { await oss.close(); }
  });
});
