/**
 * What the client signed about a request must hold (issue 11 items 1–3): a V4 `x-oss-content-sha256` other than
 * UNSIGNED-PAYLOAD must be the body's SHA-256, a V4 scope must name this endpoint's region, and `Content-MD5` is
 * checked on every request that carries a body, not only on uploads. Bodies that do not match change nothing.
 */
import { createHash } from 'node:crypto';
import OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';
import { rawRequest } from './raw-request';

type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5b64 = (s: string) => createHash('md5').update(s).digest('base64');
const TAGGING = (v: string) => `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet><Tag><Key>k</Key><Value>${v}</Value></Tag></TagSet></Tagging>`;

let oss: LocalOss;
let c: OssClient;
beforeAll(async () => {
  oss = await startTestOss({ multipartMinPartBytes: 1 });
  c = ossClient(oss, 'test-bucket');
});
afterAll(() => oss.close());

describe('V4 payload hash (x-oss-content-sha256)', () => {
  const put = (key: string, body: string, hash: string) =>
    rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key, v4: true, body, headers: { 'x-oss-content-sha256': hash } });

  it('stores a body whose SHA-256 matches, or any body with UNSIGNED-PAYLOAD', async () => {
    expect((await put('sha/ok', 'actual', sha256('actual'))).status).toBe(200);
    expect((await put('sha/unsigned', 'actual', 'UNSIGNED-PAYLOAD')).status).toBe(200);
    expect((await c.get('sha/ok')).content.toString()).toBe('actual');
  });

  it('refuses a body that does not match its signed hash, and stores nothing', async () => {
    const r = await put('sha/wrong', 'actual', sha256('something else'));
    expect(r).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(r.headers['x-oss-ec']).toBe('0002-00000214');
    expect(await failure(c.head('sha/wrong'))).toMatchObject({ status: 404 });
    expect(oss.requestLog.entries().at(-2)).toMatchObject({ op: 'PutObject', status: 400 });
  });

  it('refuses a hash that cannot be one before reading the body', async () => {
    expect(await put('sha/bad', 'actual', 'abc')).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('checks XML bodies and parts too', async () => {
    await c.put('sha/tagged', Buffer.from('x'));
    const tag = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'sha/tagged', subres: { tagging: '' }, v4: true, body: TAGGING('new'), headers: { 'x-oss-content-sha256': sha256(TAGGING('other')) } });
    expect(tag).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(((await c.getObjectTagging('sha/tagged')).tag)).toEqual({});
    const init = await c.initMultipartUpload('sha/mp');
    const part = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'sha/mp', subres: { partNumber: '1', uploadId: init.uploadId }, v4: true, body: 'part', headers: { 'x-oss-content-sha256': sha256('trap') } });
    expect(part).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(oss.inspect.multipartUploads('test-bucket').find((u) => u.uploadId === init.uploadId)?.parts).toBe(0);
  });
});

describe('V4 region', () => {
  it('refuses a signature scoped to another region (ali-oss with region oss-us-west-1)', async () => {
    const other = new OSS({
      endpoint: oss.endpoint, region: 'oss-us-west-1', bucket: 'test-bucket', accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret, authorizationV4: true,
    } as OSS.Options);
    const err = await failure(other.put('region/k', Buffer.from('x')));
    expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(err.message).toContain('us-west-1');
    expect(await failure(c.head('region/k'))).toMatchObject({ status: 404 });
  });

  it('accepts the endpoint\'s own region', async () => {
    expect((await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'region/ok', v4: true, body: 'x', region: 'cn-hangzhou' })).status).toBe(200);
    expect((await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'region/no', v4: true, body: 'x', region: 'us-west-1' })).status).toBe(403);
  });
});

describe('Content-MD5 on every body', () => {
  it.each([
    ['without padding', md5b64('').slice(0, 22)],
    ['with trailing junk', `${md5b64('')}junk`],
    ['with characters outside base64', `${md5b64('').slice(0, 8)}!!${md5b64('').slice(10)}`],
  ])('refuses a Content-MD5 %s with 400 InvalidDigest, storing nothing', async (_n, value) => {
    const r = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'md5/malformed', body: '', headers: { 'content-md5': value } });
    expect(r).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect(await failure(c.head('md5/malformed'))).toMatchObject({ status: 404 });
  });

  it.each([['V1', false], ['V4', true]])('refuses a PutObjectTagging whose body does not match its Content-MD5 (%s)', async (_n, v4) => {
    const key = `md5/tagged-${v4 ? 'v4' : 'v1'}`;
    await c.put(key, Buffer.from('x'));
    const bad = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key, subres: { tagging: '' }, v4, body: TAGGING('new'), headers: { 'content-md5': md5b64(TAGGING('other')) } });
    expect(bad).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect((await c.getObjectTagging(key)).tag).toEqual({});
    const good = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key, subres: { tagging: '' }, v4, body: TAGGING('new'), headers: { 'content-md5': md5b64(TAGGING('new')) } });
    expect(good.status).toBe(200);
    expect((await c.getObjectTagging(key)).tag).toEqual({ k: 'new' });
  });

  it('refuses a DeleteMultipleObjects and a CompleteMultipartUpload whose body does not match, changing nothing', async () => {
    await c.put('md5/keep', Buffer.from('x'));
    const del = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>md5/keep</Key></Object></Delete>';
    const r = await rawRequest(oss, { method: 'POST', bucket: 'test-bucket', subres: { delete: '' }, body: del, headers: { 'content-md5': md5b64('x') } });
    expect(r).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect((await c.head('md5/keep')).status).toBe(200);

    const init = await c.initMultipartUpload('md5/mp');
    const part = await c.uploadPart('md5/mp', init.uploadId, 1, Buffer.from('p'), 0, 1);
    const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.etag}</ETag></Part></CompleteMultipartUpload>`;
    const done = await rawRequest(oss, { method: 'POST', bucket: 'test-bucket', key: 'md5/mp', subres: { uploadId: init.uploadId }, body: xml, headers: { 'content-md5': md5b64('nope') } });
    expect(done).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect(await failure(c.head('md5/mp'))).toMatchObject({ status: 404 });
  });
});

describe('bodies of operations that do not read one', () => {
  it('refuses a PutObjectAcl whose (ignored) body does not match its Content-MD5, leaving the ACL alone', async () => {
    await c.put('md5/acl', Buffer.from('x'));
    const put = (body: string, md5: string) => rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'md5/acl', subres: { acl: '' }, body, headers: { 'x-oss-object-acl': 'public-read', 'content-md5': md5 } });
    expect(await put('junk', md5b64('other'))).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect((await c.getACL('md5/acl')).acl).toBe('default');
    expect((await put('junk', md5b64('junk'))).status).toBe(200);
    expect((await c.getACL('md5/acl')).acl).toBe('public-read');
  });

  it('checks a V4 GET against the empty body: the SHA-256 of anything else is refused (EC 0002-00000214), the empty one and UNSIGNED-PAYLOAD pass', async () => {
    await c.put('sha/get', Buffer.from('x'));
    const get = (headers: Record<string, string>) => rawRequest(oss, { method: 'GET', bucket: 'test-bucket', key: 'sha/get', v4: true, headers });
    const bad = await get({ 'x-oss-content-sha256': sha256('not empty') });
    expect(bad).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(bad.body).toContain('0002-00000214');
    expect((await get({ 'x-oss-content-sha256': sha256('') })).status).toBe(200);
    expect((await get({ 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' })).status).toBe(200);
    expect(await get({ 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'content-md5': md5b64('x') })).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect((await get({ 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'content-md5': md5b64('') })).body).toBe('x');
  });
});
