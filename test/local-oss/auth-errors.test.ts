/**
 * Authentication and error rendering through the real ali-oss client (V1 and V4): every request is signed and
 * verified; errors carry Code/Message/RequestId/HostId/EC as XML, or base64 in x-oss-err for HEAD.
 */
import { request } from 'node:http';
import OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss } from '../helpers/local-oss';

type ErrLike = { status: number; code: string; requestId?: string; ecCode?: string; hostId?: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);

let oss: LocalOss;
beforeAll(async () => { oss = await startTestOss(); });
afterAll(() => oss.close());

describe.each([['V1', false], ['V4', true]])('auth (%s)', (_n, v4) => {
  const client = (over: Partial<OSS.Options> = {}) => new OSS({
    endpoint: oss.endpoint, region: 'oss-' + oss.region, bucket: 'test-bucket', accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret, authorizationV4: v4, ...over,
  } as OSS.Options);

  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const err = await failure(client({ accessKeySecret: 'wrong-secret' }).put('k', Buffer.from('x')));
    expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', ecCode: '0002-00000040' });
    expect(oss.requestLog.entries().at(-1)).toMatchObject({ op: 'PutObject', status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('rejects an unknown AccessKeyId with InvalidAccessKeyId', async () => {
    const err = await failure(client({ accessKeyId: 'LTAInobodyknowsme' }).get('k'));
    expect(err).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  it('rejects a clock skew beyond 15 minutes with RequestTimeTooSkewed', async () => {
    const c = client();
    (c as unknown as { options: { amendTimeSkewed: number } }).options.amendTimeSkewed = 16 * 60 * 1000;
    const err = await failure(c.get('k'));
    expect(err).toMatchObject({ status: 403, code: 'RequestTimeTooSkewed' });
  });

  it('accepts a skew under 15 minutes', async () => {
    const c = client();
    (c as unknown as { options: { amendTimeSkewed: number } }).options.amendTimeSkewed = 10 * 60 * 1000;
    await c.put('skewed-ok', Buffer.from('x'));
    expect((await c.get('skewed-ok')).content.toString()).toBe('x');
  });

  it('accepts STS credentials it issued, with their token', async () => {
    const sts = ossClient(oss, 'test-bucket', { v4, sts: true });
    await sts.put('sts-object', Buffer.from('via sts'));
    expect((await sts.get('sts-object')).content.toString()).toBe('via sts');
    expect(oss.requestLog.entries().at(-1)?.accessKeyId).toMatch(/^STS\./);
  });

  it('rejects an STS key with a missing or wrong token, and an expired one', async () => {
    const s = oss.issueStsCredentials();
    const noToken = await failure(client({ accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret }).get('k'));
    expect(noToken).toMatchObject({ status: 403, code: 'InvalidSecurityToken' });
    const wrong = await failure(client({ accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, stsToken: s.securityToken + 'x' }).get('k'));
    expect(wrong).toMatchObject({ status: 403, code: 'InvalidSecurityToken' });
    const old = oss.issueStsCredentials(-60);
    const expired = await failure(client({ accessKeyId: old.accessKeyId, accessKeySecret: old.accessKeySecret, stsToken: old.securityToken }).get('k'));
    expect(expired).toMatchObject({ status: 403, code: 'SecurityTokenExpired' });
  });

  it('answers HEAD errors without a body, the XML in base64 x-oss-err', async () => {
    const err = await failure(client({ accessKeySecret: 'wrong' }).head('k'));
    // ali-oss decodes x-oss-err for non-404 HEAD errors (oss-api.md §4.5).
    expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    const notFound = await failure(client().head('no-such-key'));
    expect(notFound).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('renders NoSuchBucket with BucketName, RequestId and HostId', async () => {
    const err = await failure(client({ bucket: 'no-such-bucket' }).get('k'));
    expect(err).toMatchObject({ status: 404, code: 'NoSuchBucket', ecCode: '0015-00000101', hostId: 'no-such-bucket.oss-cn-hangzhou.aliyuncs.com' });
    expect(err.requestId).toMatch(/^[0-9A-F]{24}$/);
  });

  it('answers an unsupported subresource with NotImplemented', async () => {
    const err = await failure(client().putBucketCORS('test-bucket', [{ allowedOrigin: '*', allowedMethod: 'GET' }]));
    expect(err).toMatchObject({ status: 400, code: 'NotImplemented' });
  });
});

/** node:http rather than fetch, because fetch may not set Host (a forbidden header name). */
function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const url = new URL(oss.endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('raw HTTP', () => {
  const host = 'test-bucket.oss-cn-hangzhou.aliyuncs.com';

  it('refuses an unsigned request with AccessDenied and a request id', async () => {
    const res = await raw('GET', '/k', { host });
    expect(res.status).toBe(403);
    expect(res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect(res.body).toContain('<Code>AccessDenied</Code>');
    expect(res.body).toContain(`<RequestId>${res.headers['x-oss-request-id']}</RequestId>`);
    expect(res.body).toContain('<HostId>test-bucket.oss-cn-hangzhou.aliyuncs.com</HostId>');
  });

  it('puts the HEAD error XML in x-oss-err, base64, with an empty body', async () => {
    const res = await raw('HEAD', '/k', { host });
    expect(res.status).toBe(403);
    expect(res.body).toBe('');
    const xml = Buffer.from(res.headers['x-oss-err'] ?? '', 'base64').toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code>/);
    expect(xml).toContain(`<RequestId>${res.headers['x-oss-request-id']}</RequestId>`);
  });

  it('answers a method the resource does not support with MethodNotAllowed (after checking the signature)', async () => {
    // signatureUrl refuses IP endpoints, so presign through the path-style (localhost) client.
    const c = ossClient(oss, 'test-bucket', { pathStyle: true });
    const url = c.signatureUrl('some-key', { method: 'PATCH' as 'PUT', expires: 60 });
    const res = await fetch(url, { method: 'PATCH' });
    const xml = await res.text();
    expect(res.status).toBe(405);
    expect(xml).toContain('<Code>MethodNotAllowed</Code>');
    expect(xml).toContain('<Method>PATCH</Method>');
  });

  it('accepts a presigned GET URL and rejects it once tampered', async () => {
    const c = ossClient(oss, 'test-bucket', { pathStyle: true });
    await c.put('presigned.txt', Buffer.from('signed'));
    const url = c.signatureUrl('presigned.txt', { expires: 60 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('signed');
    const bad = await fetch(url.replace('presigned.txt', 'presigned.txt2'));
    expect(bad.status).toBe(403);
  });
});
