/**
 * Server-side encryption end to end (V1 and V4): every SSE mode's headers, real encryption at rest, KMS key states,
 * KMS-not-activated, and --data-dir persistence across a restart.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

type Headers = Record<string, string>;
type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
const PLAIN = Buffer.from('PLAINTEXT-MARKER '.repeat(8));

describe.each([['V1', false], ['V4', true]])('server-side encryption (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => {
    oss = await startTestOss({ kms: { keys: [{ id: 'cmk-1' }, { id: 'cmk-off', state: 'Disabled' }] } });
    c = ossClient(oss, 'test-bucket', { v4 });
  });
  afterAll(() => oss.close());

  const cases: Array<[string, Headers, Headers]> = [
    ['AES256', { 'x-oss-server-side-encryption': 'AES256' }, { 'x-oss-server-side-encryption': 'AES256' }],
    ['SM4', { 'x-oss-server-side-encryption': 'SM4' }, { 'x-oss-server-side-encryption': 'SM4' }],
    ['KMS with a CMK', { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-1' },
      { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-1' }],
    ['KMS + SM4 data encryption', { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4' },
      { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4' }],
  ];

  it.each(cases)('%s: response and HEAD headers, plaintext on GET, ciphertext at rest', async (name, sent, expected) => {
    const key = `sse/${name}`;
    const put = await c.put(key, PLAIN, { headers: sent } as OSS.PutObjectOptions);
    expect(put.res.headers).toMatchObject(expected);
    expect((await c.head(key)).res.headers).toMatchObject(expected);
    expect(Buffer.from((await c.get(key)).content).equals(PLAIN)).toBe(true);
    const stored = await oss.inspect.storedBytes('test-bucket', key);
    expect(stored.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
  });

  it('KMS without a key id reports the default managed key id', async () => {
    const put = await c.put('sse/kms-default', PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS' } } as OSS.PutObjectOptions);
    const id = (put.res.headers as Headers)['x-oss-server-side-encryption-key-id'];
    expect(id).toBe(oss.kms.defaultKeyId());
    expect(id).toMatch(/.{8,}/);
  });

  it('stores an object without SSE as plaintext (the at-rest checks above can fail)', async () => {
    await c.put('sse/none', PLAIN);
    expect((await oss.inspect.storedBytes('test-bucket', 'sse/none')).includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(true);
    expect(((await c.head('sse/none')).res.headers as Headers)['x-oss-server-side-encryption']).toBeUndefined();
  });

  it('refuses disabled keys, a key id without KMS and a data encryption other than SM4', async () => {
    expect(await failure(c.put('sse/bad', PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-off' } } as OSS.PutObjectOptions)))
      .toMatchObject({ status: 409, code: 'KeyDisabled' });
    expect(await failure(c.put('sse/bad', PLAIN, { headers: { 'x-oss-server-side-encryption-key-id': 'cmk-1' } } as OSS.PutObjectOptions)))
      .toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(await failure(c.put('sse/bad', PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'AES' } } as OSS.PutObjectOptions)))
      .toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(await failure(c.head('sse/bad'))).toMatchObject({ status: 404 });
  });

  it('answers KMS key errors with OSS\'s codes and statuses (oss-evidence.md §17)', async () => {
    const put = (keyId: string) => failure(c.put('sse/bad', PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } } as OSS.PutObjectOptions));
    oss.kms.addKey('cmk-import', 'PendingImport');
    expect(await put('no-such-cmk')).toMatchObject({ status: 404, code: 'KeyNotFound' });
    expect(await put('alias/no-such-alias')).toMatchObject({ status: 404, code: 'AliasNotFound' });
    expect(await put('cmk-off')).toMatchObject({ status: 409, code: 'KeyDisabled' });
    expect(await put('cmk-import')).toMatchObject({ status: 409, code: 'KeyPendingImport' });
    // A key of another region or account does not exist here.
    expect(await put('acs:kms:cn-shanghai:1234567890123456:key/cmk-1')).toMatchObject({ status: 404, code: 'KeyNotFound' });
  });

  it('reports the key id when the request names the key by alias or ARN (issue 11 item 9)', async () => {
    if (!oss.kms.aliasNames().includes('alias/app')) oss.kms.addAlias('alias/app', 'cmk-1');
    const forms = ['alias/app', `acs:kms:${oss.region}:${oss.accountId}:key/cmk-1`, `acs:kms:${oss.region}:${oss.accountId}:alias/app`];
    for (const [i, keyId] of forms.entries()) {
      const key = `sse/named-${i}`;
      const put = await c.put(key, PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } } as OSS.PutObjectOptions);
      expect((put.res.headers as Headers)['x-oss-server-side-encryption-key-id']).toBe('cmk-1');
      expect(((await c.head(key)).res.headers as Headers)['x-oss-server-side-encryption-key-id']).toBe('cmk-1');
      expect(Buffer.from((await c.get(key)).content).equals(PLAIN)).toBe(true);
    }
    const copied = await c.copy('sse/named-c', 'sse/named-0', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'alias/acs/oss' } } as never);
    expect((copied.res.headers as Headers)['x-oss-server-side-encryption-key-id']).toBe(oss.kms.defaultKeyId());
  });

  it('reflects key state changes made through the kms handle', async () => {
    oss.kms.addKey('cmk-late', 'Enabled');
    await c.put('sse/late', PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-late' } } as OSS.PutObjectOptions);
    oss.kms.setKeyState('cmk-late', 'PendingDeletion');
    expect(await failure(c.copy('sse/late', 'sse/late', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-late' } } as never)))
      .toMatchObject({ status: 409, code: 'KeyPendingDeletion' });
    expect(oss.kmsKeyIds).toEqual(expect.arrayContaining(['cmk-1', 'cmk-off', 'cmk-late']));
  });
});

describe('KMS not activated', () => {
  let oss: LocalOss;
  beforeAll(async () => { oss = await startTestOss({ kms: { enabled: false } }); });
  afterAll(() => oss.close());

  it('answers KMS requests with 403 KmsServiceNotEnabled but still does AES256', async () => {
    const c = ossClient(oss, 'test-bucket');
    await c.put('k', PLAIN);
    expect(await failure(c.copy('k', 'k', { headers: { 'x-oss-server-side-encryption': 'KMS' } } as never))).toMatchObject({ status: 403, code: 'KmsServiceNotEnabled' });
    await c.copy('k', 'k', { headers: { 'x-oss-server-side-encryption': 'AES256' } } as never);
    expect(((await c.head('k')).res.headers as Headers)['x-oss-server-side-encryption']).toBe('AES256');
  });
});

describe('--data-dir persistence', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'local-oss-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps buckets, objects, metadata, versions and uploads across a restart, never naming files by key', async () => {
    const opts = { dataDir: dir, accessKeyId: 'LTAIpersist', accessKeySecret: 'persist-secret', kms: { keys: [{ id: 'cmk-p' }] } };
    // HTTP clients normalise '/../' segments away, so a traversal attempt that survives the URL uses backslashes.
    const evil = '..\\..\\etc\\escape';
    const first = await startTestOss(opts);
    let uploadId: string;
    try {
      const c1 = ossClient(first, 'test-bucket');
      await c1.put(evil, PLAIN, { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-p', 'Cache-Control': 'no-cache' } } as OSS.PutObjectOptions);
      await c1.put('plain', Buffer.from('plain'));
      await first.createBucket('second');
      await ossClient(first, 'second').putBucketVersioning('second', 'Enabled');
      uploadId = (await c1.initMultipartUpload('pending')).uploadId;
    } finally {
      await first.close();
    }

    const second = await startTestOss(opts);
    try {
      const c2 = ossClient(second, 'test-bucket');
      expect(second.buckets).toEqual(['second', 'test-bucket']);
      expect(Buffer.from((await c2.get(evil)).content).equals(PLAIN)).toBe(true);
      expect((await c2.head(evil)).res.headers).toMatchObject({ 'x-oss-server-side-encryption-key-id': 'cmk-p', 'cache-control': 'no-cache' });
      expect((await c2.get('plain')).content.toString()).toBe('plain');
      expect((await ossClient(second, 'second').getBucketVersioning('second')).versionStatus).toBe('Enabled');
      expect(second.inspect.multipartUploads('test-bucket')).toEqual([{ key: 'pending', uploadId, parts: 0 }]);
      const stored = await second.inspect.storedBytes('test-bucket', evil);
      expect(stored.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    } finally {
      await second.close();
    }
    // Nothing was written outside the data directory, and no file is named after a key.
    const walk = async (d: string): Promise<string[]> => (await Promise.all((await readdir(d, { withFileTypes: true }))
      .map((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])))).flat();
    const files = await walk(dir);
    expect(files.every((f) => f.startsWith(dir))).toBe(true);
    expect(files.some((f) => f.includes('escape') || f.includes('etc'))).toBe(false);
  });
});

describe('a multipart upload whose KMS key is disabled after Initiate', () => {
  it('refuses UploadPart, UploadPartCopy and Complete with 409 KeyDisabled, and completes once the key is enabled again', async () => {
    const oss = await startTestOss({ multipartMinPartBytes: 1, kms: { keys: [{ id: 'cmk-mp' }] } });
    try {
      const c = ossClient(oss, 'test-bucket');
      await c.put('mp/src', Buffer.from('copied'));
      const { uploadId } = await c.initMultipartUpload('mp/kms', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-mp' } } as never);
      const p1 = await c.uploadPart('mp/kms', uploadId, 1, Buffer.from('aaaa'), 0, 4);
      oss.kms.setKeyState('cmk-mp', 'Disabled');
      expect(await failure(c.uploadPart('mp/kms', uploadId, 2, Buffer.from('bbbb'), 0, 4))).toMatchObject({ status: 409, code: 'KeyDisabled' });
      expect(await failure(c.uploadPartCopy('mp/kms', uploadId, 2, '0-5', { sourceKey: 'mp/src', sourceBucketName: 'test-bucket' }, {}))).toMatchObject({ status: 409, code: 'KeyDisabled' });
      const parts = [{ number: 1, etag: p1.etag }];
      expect(await failure(c.completeMultipartUpload('mp/kms', uploadId, parts))).toMatchObject({ status: 409, code: 'KeyDisabled' });
      oss.kms.setKeyState('cmk-mp', 'Enabled');
      await c.completeMultipartUpload('mp/kms', uploadId, parts);
      expect((await c.get('mp/kms')).content.toString()).toBe('aaaa');
    } finally { await oss.close(); }
  });
});
