/**
 * CopyObject through ali-oss (V1 and V4), every header of oss-api.md §1.1 and the in-place rules of §0/§1.2.
 */
import { createHash } from 'node:crypto';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';
import { rawRequest } from './raw-request';

type Headers = Record<string, string>;
type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex').toUpperCase();

describe.each([['V1', false], ['V4', true]])('CopyObject (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  let n = 0;
  const key = (base: string) => `${base}-${++n}`;
  const head = async (k: string, opts?: { versionId?: string }) => (await c.head(k, opts as OSS.HeadObjectOptions)).res.headers as Headers;
  const copy = (dest: string, src: string, headers: Headers = {}, extra: Record<string, unknown> = {}) =>
    c.copy(dest, src, { headers, ...extra } as unknown as OSS.CopyObjectOptions);
  const put = (k: string, body: string, headers: Headers = {}) => c.put(k, Buffer.from(body), { headers } as OSS.PutObjectOptions);

  beforeAll(async () => {
    oss = await startTestOss({ copyChangeLimitBytes: 1000, kms: { keys: [{ id: 'cmk-ok' }, { id: 'cmk-off', state: 'Disabled' }, { id: 'cmk-del', state: 'PendingDeletion' }] } });
    await oss.createBucket('versioned');
    c = ossClient(oss, 'test-bucket', { v4 });
    await ossClient(oss, 'versioned', { v4 }).putBucketVersioning('versioned', 'Enabled');
  });
  afterAll(() => oss.close());

  const richHeaders: Headers = {
    'Content-Type': 'image/png', 'Cache-Control': 'max-age=60', 'Content-Disposition': 'attachment; filename="a.png"',
    'Content-Encoding': 'identity', 'Content-Language': 'zh-CN', Expires: 'Wed, 21 Oct 2037 07:28:00 GMT', 'x-oss-meta-owner': 'alice',
  };

  it('in place without versioning takes the request metadata whatever the directive (COPY loses what is not re-sent)', async () => {
    const k = key('noext');
    await put(k, 'data', richHeaders);
    await copy(k, k, { 'x-oss-metadata-directive': 'COPY', 'x-oss-server-side-encryption': 'AES256' });
    const h = await head(k);
    expect(h['content-type']).toBe('application/octet-stream');
    expect(h['cache-control']).toBeUndefined();
    expect(h['content-disposition']).toBeUndefined();
    expect(h['x-oss-meta-owner']).toBeUndefined();
    expect(h['x-oss-server-side-encryption']).toBe('AES256');
  });

  it('in place with REPLACE and every value re-sent keeps them all, and the Normal ETag (content MD5)', async () => {
    const k = key('keep');
    await put(k, 'keep me', richHeaders);
    const before = await head(k);
    await copy(k, k, { ...richHeaders, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-server-side-encryption': 'KMS' });
    const h = await head(k);
    for (const name of ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-oss-meta-owner']) {
      expect([name, h[name]]).toEqual([name, before[name]]);
    }
    expect(h.etag).toBe(`"${md5('keep me')}"`);
    expect(h['x-oss-hash-crc64ecma']).toBe(before['x-oss-hash-crc64ecma']);
    expect(h['x-oss-server-side-encryption']).toBe('KMS');
    expect(h['x-oss-server-side-encryption-key-id']).toBe(oss.kms.defaultKeyId());
  });

  it('to another key: COPY takes the source metadata, REPLACE the request metadata', async () => {
    const src = key('src');
    await put(src, 'abc', richHeaders);
    const d1 = key('dest');
    await copy(d1, src, { 'x-oss-metadata-directive': 'COPY' });
    expect(await head(d1)).toMatchObject({ 'cache-control': 'max-age=60', 'x-oss-meta-owner': 'alice', 'content-type': 'image/png' });
    const d2 = key('dest');
    await copy(d2, src, { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'text/plain', 'x-oss-meta-new': '1' });
    const h2 = await head(d2);
    expect(h2).toMatchObject({ 'content-type': 'text/plain', 'x-oss-meta-new': '1' });
    expect(h2['x-oss-meta-owner']).toBeUndefined();
    expect((await c.get(d2)).content.toString()).toBe('abc');
  });

  it('never inherits SSE from the source', async () => {
    const src = key('enc');
    await put(src, 'secret', { 'x-oss-server-side-encryption': 'SM4' });
    const d = key('plain');
    await copy(d, src);
    expect((await head(d))['x-oss-server-side-encryption']).toBeUndefined();
    expect((await oss.inspect.storedBytes('test-bucket', d)).includes(Buffer.from('secret'))).toBe(true);
  });

  it('resets the ACL to default when an in-place copy changes the encryption, unless x-oss-object-acl is sent (evidence §4)', async () => {
    const k = key('acl');
    await put(k, 'x', { 'x-oss-object-acl': 'public-read' });
    expect((await c.getACL(k)).acl).toBe('public-read');
    await copy(k, k, { 'x-oss-server-side-encryption': 'AES256' });
    expect((await c.getACL(k)).acl).toBe('default');
    await copy(k, k, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-object-acl': 'private' });
    expect((await c.getACL(k)).acl).toBe('private');
  });

  it('keeps the ACL on a metadata-only in-place copy, resets it on a class change or a copy to another key (evidence §4)', async () => {
    const k = key('acl-meta');
    await put(k, 'x', { 'x-oss-object-acl': 'private', 'x-oss-server-side-encryption': 'AES256' });
    await copy(k, k, { 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-c': 'c', 'x-oss-server-side-encryption': 'AES256' });
    expect((await c.getACL(k)).acl).toBe('private');
    expect((await head(k))['x-oss-meta-c']).toBe('c');
    const other = key('acl-other');
    await copy(other, k, { 'x-oss-server-side-encryption': 'AES256' });
    expect((await c.getACL(other)).acl).toBe('default');
    await copy(k, k, { 'x-oss-server-side-encryption': 'AES256', 'x-oss-storage-class': 'IA' });
    expect((await c.getACL(k)).acl).toBe('default');
  });

  it('sets the storage class from the request; omitted in place means Standard', async () => {
    const k = key('ia');
    await put(k, 'x', { 'x-oss-storage-class': 'IA' });
    await copy(k, k, { 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'AES256' });
    expect((await head(k))['x-oss-storage-class']).toBe('IA');
    await copy(k, k, { 'x-oss-server-side-encryption': 'AES256' });
    expect((await head(k))['x-oss-storage-class']).toBe('Standard');
    const err = await failure(copy(k, k, { 'x-oss-storage-class': 'Glacier' }));
    expect(err).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('keeps tags with the Copy tagging directive and replaces them with Replace', async () => {
    const k = key('tags');
    await put(k, 'x', { 'x-oss-tagging': 'team=a%20b&env=prod' });
    await copy(k, k, { 'x-oss-server-side-encryption': 'AES256' });
    expect((await c.getObjectTagging(k)).tag).toEqual({ team: 'a b', env: 'prod' });
    expect((await head(k))['x-oss-tagging-count']).toBe('2');
    await copy(k, k, { 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'only=1' });
    expect((await c.getObjectTagging(k)).tag).toEqual({ only: '1' });
  });

  it('evaluates x-oss-copy-source-if-* (412 and 304)', async () => {
    const k = key('cond');
    await put(k, 'cond');
    const etag = `"${md5('cond')}"`;
    expect(await failure(copy(k, k, { 'x-oss-copy-source-if-match': '"0000"' }))).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    const ok = await copy(k, k, { 'x-oss-copy-source-if-match': etag, 'x-oss-server-side-encryption': 'AES256' });
    expect(ok.res.status).toBe(200);
    const notModified = await copy(k, k, { 'x-oss-copy-source-if-none-match': etag });
    expect(notModified.res.status).toBe(304);
    expect(notModified.data).toBeNull();
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    expect((await copy(k, k, { 'x-oss-copy-source-if-modified-since': future })).res.status).toBe(304);
    expect(await failure(copy(k, k, { 'x-oss-copy-source-if-unmodified-since': past }))).toMatchObject({ status: 412 });
    // Nothing above may have changed the object: still the AES256 copy.
    expect((await head(k))['x-oss-server-side-encryption']).toBe('AES256');
  });

  it('limits a copy that changes encryption or class to copyChangeLimitBytes, but not a metadata-only copy', async () => {
    const edge = key('edge');
    await put(edge, 'x'.repeat(1000));
    await copy(edge, edge, { 'x-oss-server-side-encryption': 'AES256' }); // exactly at the limit: allowed
    const k = key('big');
    await put(k, 'x'.repeat(1001));
    const err = await failure(copy(k, k, { 'x-oss-server-side-encryption': 'AES256' }));
    expect(err).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(err.message).toMatch(/^Source object Length exceeds the maximum allowed size: 1001 bytes, at most 1000 .*UploadPartCopy/);
    expect(await failure(copy(k, k, { 'x-oss-storage-class': 'IA' }))).toMatchObject({ status: 400 });
    expect((await copy(k, k, { 'x-oss-meta-x': '1' })).res.status).toBe(200);
  });

  it('treats an in-place copy of an IA object that omits x-oss-storage-class as metadata-only: ACL kept, no size limit (class still becomes Standard)', async () => {
    const k = key('ia-meta');
    await put(k, 'x'.repeat(1001), { 'x-oss-storage-class': 'IA', 'x-oss-object-acl': 'private' });
    expect((await copy(k, k, { 'x-oss-meta-x': '1' })).res.status).toBe(200);
    expect((await c.getACL(k)).acl).toBe('private');
    expect((await head(k))).toMatchObject({ 'x-oss-storage-class': 'Standard', 'x-oss-meta-x': '1' });
    await put(k, 'x'.repeat(1001), { 'x-oss-storage-class': 'IA', 'x-oss-object-acl': 'private' });
    expect(await failure(copy(k, k, { 'x-oss-storage-class': 'Standard' }))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
  });

  it('refuses Appendable sources and unrestored archive sources', async () => {
    const a = key('append');
    await c.append(a, Buffer.from('one'));
    expect(await failure(copy(key('d'), a))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    const arc = key('archive');
    await put(arc, 'cold', { 'x-oss-storage-class': 'Archive' });
    expect(await failure(copy(arc, arc, { 'x-oss-storage-class': 'Archive', 'x-oss-server-side-encryption': 'AES256' })))
      .toMatchObject({ status: 403, code: 'InvalidObjectState' });
    await c.restore(arc);
    await copy(arc, arc, { 'x-oss-storage-class': 'Archive', 'x-oss-server-side-encryption': 'AES256' });
    expect(await head(arc)).toMatchObject({ 'x-oss-storage-class': 'Archive', 'x-oss-server-side-encryption': 'AES256' });
  });

  it('refuses bad SSE values and reports KMS key problems', async () => {
    const k = key('sse');
    await put(k, 'x');
    expect(await failure(copy(k, k, { 'x-oss-server-side-encryption': 'DES' }))).toMatchObject({ status: 400, code: 'InvalidEncryptionAlgorithmError' });
    expect(await failure(copy(k, k, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'nope' }))).toMatchObject({ status: 404, code: 'KeyNotFound' });
    expect(await failure(copy(k, k, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-off' }))).toMatchObject({ status: 409, code: 'KeyDisabled' });
    expect(await failure(copy(k, k, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-del' }))).toMatchObject({ status: 409, code: 'KeyPendingDeletion' });
    expect(await failure(copy(k, k, { 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': 'cmk-ok' }))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    const r = await copy(k, k, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-ok', 'x-oss-server-side-data-encryption': 'SM4' });
    expect(r.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-ok', 'x-oss-server-side-data-encryption': 'SM4' });
    expect(await head(k)).toMatchObject({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'cmk-ok', 'x-oss-server-side-data-encryption': 'SM4' });
  });

  it('x-oss-forbid-overwrite refuses an existing destination', async () => {
    const src = key('fo'); const dest = key('fo');
    await put(src, 'a'); await put(dest, 'b');
    expect(await failure(copy(dest, src, { 'x-oss-forbid-overwrite': 'true' }))).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    // In place the destination always exists, so the header always refuses there.
    expect(await failure(copy(src, src, { 'x-oss-forbid-overwrite': 'true', 'x-oss-server-side-encryption': 'AES256' }))).toMatchObject({ status: 409 });
    await copy(key('fo-new'), src, { 'x-oss-forbid-overwrite': 'true' });
  });

  it('copies keys with spaces, +, % and CJK characters', async () => {
    for (const k of ['a b/c+d%e.txt', '目录/文件 1+1%.bin']) {
      await put(k, `body ${k}`);
      await copy(k, k, { 'x-oss-server-side-encryption': 'AES256', 'Content-Type': 'text/plain' });
      expect((await head(k))['x-oss-server-side-encryption']).toBe('AES256');
      expect((await c.get(k)).content.toString()).toBe(`body ${k}`);
    }
  });

  it('in a versioned bucket: COPY directive keeps metadata, a new version is made, versionId picks the source', async () => {
    const vc = ossClient(oss, 'versioned', { v4 });
    const k = key('v');
    const first = await vc.put(k, Buffer.from('v1'), { headers: { 'Cache-Control': 'no-store' } } as OSS.PutObjectOptions);
    const v1 = (first.res.headers as Headers)['x-oss-version-id']!;
    await vc.put(k, Buffer.from('v2'));
    const r = await vc.copy(k, k, { versionId: v1, headers: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-metadata-directive': 'COPY' } } as unknown as OSS.CopyObjectOptions);
    const rh = r.res.headers as Headers;
    expect(rh['x-oss-copy-source-version-id']).toBe(v1);
    expect(rh['x-oss-version-id']).toMatch(/.+/);
    expect(rh['x-oss-version-id']).not.toBe(v1);
    expect((await vc.get(k)).content.toString()).toBe('v1');
    const h = (await vc.head(k)).res.headers as Headers;
    expect(h).toMatchObject({ 'cache-control': 'no-store', 'x-oss-server-side-encryption': 'AES256' });
    // The old plaintext version stays as a noncurrent version (oss-api.md §0.6).
    const old = await vc.head(k, { versionId: v1 } as OSS.HeadObjectOptions);
    expect((old.res.headers as Headers)['x-oss-server-side-encryption']).toBeUndefined();
    const versions = await vc.getBucketVersions({ prefix: k } as never);
    expect((versions as unknown as { objects: unknown[] }).objects).toHaveLength(3);
  });
});

describe('x-oss-copy-source decoding (oss-evidence.md §15)', () => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => { oss = await startTestOss(); c = ossClient(oss, 'test-bucket'); });
  afterAll(() => oss.close());
  const copyRaw = (dest: string, source: string) => rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: dest, headers: { 'x-oss-copy-source': source } });

  it('reads + as a space, as the Go SDK v1 and ossutil send it (url.QueryEscape)', async () => {
    await c.put('dir/a b+c.txt', Buffer.from('spaced'));
    const r = await copyRaw('copied-go', `/test-bucket/${'dir/a b+c.txt'.split('/').map((s) => encodeURIComponent(s).replace(/%20/g, '+')).join('%2F')}`);
    expect(r.status).toBe(200);
    expect((await c.get('copied-go')).content.toString()).toBe('spaced');
  });

  it('copies the same key from ali-oss\'s encodeURIComponent form, and reads an unescaped + as a space', async () => {
    expect((await copyRaw('copied-js', `/test-bucket/${encodeURIComponent('dir/a b+c.txt')}`)).status).toBe(200);
    expect(await copyRaw('copied-raw', '/test-bucket/dir/a b+c.txt')).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });
});

describe('412 on copy preconditions names the condition as OSS does', () => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => { oss = await startTestOss(); c = ossClient(oss, 'test-bucket'); });
  afterAll(() => oss.close());

  it.each([
    ['x-oss-copy-source-if-match', '"00000000000000000000000000000000"', 'If-Match'],
    ['x-oss-copy-source-if-unmodified-since', 'Mon, 01 Jan 2001 00:00:00 GMT', 'If-Unmodified-Since'],
  ])('%s → <Condition>%s', async (header, value, condition) => {
    await c.put('cond', Buffer.from('x'));
    for (const [op, subres] of [['CopyObject', undefined], ['UploadPartCopy', 'part']] as const) {
      const extra = subres ? { subres: { partNumber: '1', uploadId: (await c.initMultipartUpload('cond')).uploadId } } : {};
      const r = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'cond', ...extra, headers: { 'x-oss-copy-source': '/test-bucket/cond', [header]: value } });
      expect([op, r.status, r.code]).toEqual([op, 412, 'PreconditionFailed']);
      expect(r.body).toContain(`<Condition>${condition}</Condition>`);
    }
  });
});
