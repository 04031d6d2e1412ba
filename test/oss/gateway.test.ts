/** The ali-oss adapter against the local OSS: error translation, retry accounting, listing, tagging, ACL. */
import { BUCKET, startHarness, upload, type Harness } from '../function/harness';
import { OssOperationError } from '../../src/errors';
import { createOssGateway, defaultEndpoint } from '../../src/oss/gateway';
import { decodeHeaderValue, parseObjectHead } from '../../src/oss/object-head';

describe('gateway over the local OSS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('translates a HEAD 404 into a permanent OssOperationError with the request id', async () => {
    const err = await h.gateway().head(BUCKET, 'missing/key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OssOperationError);
    expect(err).toMatchObject({ code: 'OSS_NoSuchKey', ossCode: 'NoSuchKey', status: 404, retryable: false, operation: 'HeadObject' });
    expect((err as OssOperationError).requestId).toMatch(/^[0-9A-F]{24}$/);
  });

  it('retries 503 a bounded number of times, reporting each retry and the failed request ids', async () => {
    await upload(h.client, 'gw/503', Buffer.from('x'));
    const retries: number[] = [];
    const gw = createOssGateway({
      region: h.oss.region,
      endpoint: h.oss.endpoint,
      credentials: h.oss.issueStsCredentials(),
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: ({ attempt, error }) => {
        retries.push(attempt);
        expect(error.retryable).toBe(true);
      },
    });
    h.oss.requestLog.clear();
    h.oss.faults.set([{ op: 'HeadObject', rate: 1, kind: 'http503' }]);
    const err = await gw.head(BUCKET, 'gw/503').catch((e: unknown) => e);
    h.oss.faults.clear();
    expect(err).toMatchObject({ ossCode: 'ServiceUnavailable', status: 503, retryable: true });
    expect(retries).toEqual([1, 2]);
    expect(h.oss.requestLog.counts({ key: 'gw/503' })).toEqual({ HeadObject: 3 });

    h.oss.faults.set([{ op: 'HeadObject', rate: 0.5, kind: 'http503' }], 3);
    const ok = await createOssGateway({ region: h.oss.region, endpoint: h.oss.endpoint, credentials: h.oss.issueStsCredentials(), retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 2 } }).head(BUCKET, 'gw/503');
    h.oss.faults.clear();
    expect(ok.requestId).toBeTruthy();
    expect(ok.head.size).toBe(1);
  });

  it('marks a refused connection retryable', async () => {
    const gw = createOssGateway({ region: 'cn-hangzhou', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', accessKeySecret: 'b' }, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const err = await gw.head(BUCKET, 'k').catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, status: -1 });
  });

  it('reads tags, ACL and lists with continuation', async () => {
    await Promise.all(['ls/a', 'ls/b', 'ls/c'].map((k) => upload(h.client, k, Buffer.from(k), { headers: { 'x-oss-tagging': 'k=v' } })));
    const gw = h.gateway();
    expect((await gw.getTagging(BUCKET, 'ls/a')).tags).toEqual({ k: 'v' });
    await gw.putAcl(BUCKET, 'ls/a', 'private');
    expect((await gw.getAcl(BUCKET, 'ls/a')).acl).toBe('private');
    const page1 = await gw.listV2(BUCKET, { prefix: 'ls/', maxKeys: 2 });
    expect(page1.objects.map((o) => o.key)).toEqual(['ls/a', 'ls/b']);
    expect(page1.isTruncated).toBe(true);
    const page2 = await gw.listV2(BUCKET, { prefix: 'ls/', maxKeys: 2, continuationToken: page1.nextContinuationToken! });
    expect(page2.objects.map((o) => o.key)).toEqual(['ls/c']);
    expect(page2.objects[0]).toMatchObject({ size: 4 });
    expect(page2.isTruncated).toBe(false);
  });
});

describe('defaults and header parsing', () => {
  it('uses the region internal endpoint by default', () => {
    expect(defaultEndpoint('cn-hangzhou')).toBe('https://oss-cn-hangzhou-internal.aliyuncs.com');
    expect(defaultEndpoint('oss-cn-beijing')).toBe('https://oss-cn-beijing-internal.aliyuncs.com');
    expect(createOssGateway({ region: 'cn-shanghai', credentials: { accessKeyId: 'a', accessKeySecret: 'b' } }).endpoint).toBe('https://oss-cn-shanghai-internal.aliyuncs.com');
  });

  it('decodes UTF-8 header bytes for display only; HEAD keeps metadata as the bytes that came (issue #10)', () => {
    const latin1 = Buffer.from('张三', 'utf8').toString('latin1');
    expect(decodeHeaderValue(latin1)).toBe('张三');
    expect(decodeHeaderValue('plain ascii')).toBe('plain ascii');
    expect(decodeHeaderValue('caf\u00e9')).toBe('caf\u00e9'); // a lone latin1 byte is not valid UTF-8
    expect(parseObjectHead({ etag: '"E"', 'x-oss-meta-name': latin1 }).userMeta).toEqual({ 'x-oss-meta-name': latin1 });
    expect(parseObjectHead({ etag: '"E"', 'cache-control': '', 'content-disposition': 'caf\u00e9' }).standard).toEqual({ 'cache-control': '', 'content-disposition': 'caf\u00e9' });
  });

  it('parses HEAD facts with defaults', () => {
    expect(parseObjectHead({ etag: '"E"', 'content-length': '5', 'x-oss-version-id': 'null' })).toEqual({
      etag: '"E"',
      size: 5,
      standard: {},
      userMeta: {},
      objectType: 'Normal',
      storageClass: 'Standard',
      taggingCount: 0,
    });
  });
});
