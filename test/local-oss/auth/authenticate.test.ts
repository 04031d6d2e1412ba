/**
 * The verifier against the REAL ali-oss 6.23 client: every case signs with ali-oss (V1 and V4), sends to the capture
 * server, and checks what authenticate() decided for that request.
 */
import OSS from 'ali-oss';
import { CredentialStore } from '../../../src/local-oss/auth/credentials';
import { startCaptureServer, fetchVia, type CaptureServer, type Outcome } from './capture-server';

const ROOT = { accessKeyId: 'LTAI5tRootKeyForTests', accessKeySecret: 'root+secret/with=odd chars' };
const BUCKET = 'test-bucket';

let creds: CredentialStore;
let cap: CaptureServer;

beforeAll(async () => {
  creds = new CredentialStore(ROOT);
  cap = await startCaptureServer(creds);
});
afterAll(() => cap.close());
beforeEach(() => {
  cap.clockOffsetMs = 0;
  cap.tamper = undefined;
  cap.pathStyle = false;
});

/** @types/ali-oss lags ali-oss 6.23 (no tagging, getObjectMeta, bucket encryption, signatureUrlV4, …), so the tests
 *  call the real client through this loose view. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = Record<string, (...args: any[]) => any>;

function client(v4: boolean, over: Partial<OSS.Options> & { authorizationV4?: boolean; amendTimeSkewed?: number; sldEnable?: boolean } = {}): Client {
  return new OSS({
    endpoint: cap.endpoint,
    region: 'oss-cn-hangzhou',
    accessKeyId: ROOT.accessKeyId,
    accessKeySecret: ROOT.accessKeySecret,
    bucket: BUCKET,
    authorizationV4: v4,
    ...over,
  } as OSS.Options) as unknown as Client;
}

/** Runs one ali-oss call and returns the outcomes of the requests it sent (the call itself may fail on our
 *  empty 200 bodies; what matters is the verifier's decision). */
async function run(call: () => Promise<unknown>): Promise<{ outcomes: Outcome[]; error?: { code?: string; status?: number } }> {
  const from = cap.outcomes.length;
  let error: { code?: string; status?: number } | undefined;
  try {
    await call();
  } catch (e) {
    error = e as { code?: string; status?: number };
  }
  const outcomes = cap.outcomes.slice(from);
  if (outcomes.length === 0) throw new Error(`the call sent no request (client error: ${String((error as Error | undefined)?.message)})`);
  return { outcomes, error };
}

async function expectAccepted(call: () => Promise<unknown>): Promise<Outcome> {
  const { outcomes } = await run(call);
  for (const o of outcomes) expect({ url: o.url, code: o.code, details: o.details }).toEqual({ url: o.url, code: undefined, details: undefined });
  return outcomes[0]!;
}

async function expectRejected(call: () => Promise<unknown>, code: string): Promise<Outcome> {
  const { outcomes, error } = await run(call);
  expect(outcomes[0]!.code).toBe(code);
  expect(error?.status).toBe(403);
  return outcomes[0]!;
}

const KEYS = ['plain.txt', 'with space.txt', 'a+b=c.bin', '100%25 and %.txt', '中文/目录/文件.txt', 'a..b/..c/d..', '..hidden', 'sym&ol?s#!*\'().json', 'deep/nested/key'];

describe.each([
  ['V1', false],
  ['V4', true],
])('%s signatures from ali-oss are accepted', (_name, v4) => {
  test.each(KEYS)('put, head, get, delete of %j', async (key) => {
    const c = client(v4);
    const put = await expectAccepted(() => c.put(key, Buffer.from('hello'), { meta: { owner: 'a b', n: '1' } as unknown as OSS.UserMeta, headers: { 'Cache-Control': 'no-cache', 'x-oss-object-acl': 'private' } }));
    expect(put).toMatchObject({ method: 'PUT', bucket: BUCKET, key });
    await expectAccepted(() => c.head(key)); // content-type from the extension is sent and signed, HEAD included
    await expectAccepted(() => c.get(key));
    await expectAccepted(() => c.delete(key));
  });

  test('a key with a ".." segment cannot be signed by ali-oss: its URL is normalised, its signature is not', async () => {
    // urllib resolves dot segments of the URL path but ali-oss signs the key as given, so the server sees
    // "/escape.txt" for key "dir/../escape.txt" (real OSS would answer the same). Documented, not worked around.
    const { outcomes } = await run(() => client(v4).put('dir/../escape.txt', Buffer.from('x')));
    expect(outcomes[0]).toMatchObject({ url: '/escape.txt', key: 'escape.txt', code: 'SignatureDoesNotMatch' });
  });

  test('subresources: acl, tagging, objectMeta, symlink, restore, append&position, versionId', async () => {
    const c = client(v4);
    await expectAccepted(() => c.putACL('k 1.txt', 'public-read'));
    await expectAccepted(() => c.getACL('k 1.txt'));
    await expectAccepted(() => c.putObjectTagging('k 1.txt', { a: '1', 'b c': 'd+e' }));
    await expectAccepted(() => c.getObjectTagging('k 1.txt'));
    await expectAccepted(() => c.deleteObjectTagging('k 1.txt'));
    await expectAccepted(() => c.getObjectMeta('k 1.txt'));
    await expectAccepted(() => c.putSymlink('link 中.txt', 'k 1.txt'));
    await expectAccepted(() => c.getSymlink('link 中.txt'));
    await expectAccepted(() => c.restore('archive.bin'));
    await expectAccepted(() => c.append('log+1.txt', Buffer.from('x'), { position: '0' }));
    await expectAccepted(() => c.append('log+1.txt', Buffer.from('y'), { position: '1' }));
    const v = await expectAccepted(() => c.head('k 1.txt', { versionId: 'CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****' }));
    expect(v.url).toContain('versionId=');
    await expectAccepted(() => c.get('k 1.txt', { versionId: 'v+1/2' } as OSS.GetObjectOptions));
  });

  test('multipart: uploads, uploadId + partNumber (UploadPartCopy), listParts with plain query, complete, abort', async () => {
    const c = client(v4);
    await expectAccepted(() => c.initMultipartUpload('mp 文件.bin', { headers: { 'x-oss-server-side-encryption': 'KMS' } }));
    const part = await expectAccepted(() => c.uploadPartCopy('mp 文件.bin', 'UPLOAD+ID/1', 3, '0-99', { sourceKey: 'src key.bin', sourceBucketName: BUCKET }));
    expect(part.url).toMatch(/partNumber=3/);
    await expectAccepted(() => c.listParts('mp 文件.bin', 'UPLOAD+ID/1', { 'max-parts': '10', 'part-number-marker': '2' }));
    await expectAccepted(() => c.completeMultipartUpload('mp 文件.bin', 'UPLOAD+ID/1', [{ number: 1, etag: '"ABC"' }]));
    await expectAccepted(() => c.abortMultipartUpload('mp 文件.bin', 'UPLOAD+ID/1'));
    await expectAccepted(() => c.listUploads({ prefix: 'mp', 'max-uploads': 5 } as OSS.ListUploadsQuery));
  });

  test('copy with x-oss-copy-source and SSE headers', async () => {
    const c = client(v4);
    await expectAccepted(() => c.copy('dst 中.txt', 'src +%.txt', BUCKET, { headers: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-metadata-directive': 'REPLACE' }, meta: { a: '1' } as unknown as OSS.UserMeta }));
  });

  test('listing: v1 with prefix/max-keys, v2 with empty prefix, v2 with continuation-token, versions', async () => {
    const c = client(v4);
    await expectAccepted(() => c.list({ prefix: 'a b/', 'max-keys': 5, marker: 'a+b' }, {}));
    const v2 = await expectAccepted(() => c.listV2({ prefix: '', 'max-keys': '10' }, {}));
    expect(v2.url).toMatch(/list-type=2/);
    await expectAccepted(() => c.listV2({ prefix: 'x/', 'continuation-token': 'tok+en/==', delimiter: '/' } as OSS.ListV2ObjectsQuery, {}));
    await expectAccepted(() => (c as unknown as { getBucketVersions(q: object): Promise<unknown> }).getBucketVersions({ prefix: '', keyMarker: 'k' }));
  });

  test('bucket subresources: encryption, versioning, info; service-level listBuckets', async () => {
    const c = client(v4);
    await expectAccepted(() => c.putBucketEncryption(BUCKET, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'key-1' }));
    await expectAccepted(() => c.getBucketEncryption(BUCKET));
    await expectAccepted(() => c.deleteBucketEncryption(BUCKET));
    await expectAccepted(() => c.putBucketVersioning(BUCKET, 'Enabled'));
    await expectAccepted(() => c.getBucketVersioning(BUCKET));
    await expectAccepted(() => c.getBucketInfo(BUCKET));
    const lb = await expectAccepted(() => c.listBuckets({}));
    expect(lb.bucket).toBeUndefined();
  });

  test('path-style addressing (sldEnable)', async () => {
    const c = client(v4, { sldEnable: true });
    cap.pathStyle = true;
    const o = await expectAccepted(() => c.put('p s.txt', Buffer.from('x')));
    expect(o.url.startsWith(`/${BUCKET}/`)).toBe(true);
  });

  test('STS credentials issued by the store, with the token sent as x-oss-security-token', async () => {
    const sts = creds.issueSts(900);
    expect(sts.accessKeyId.startsWith('STS.')).toBe(true);
    const c = client(v4, { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret, stsToken: sts.securityToken });
    const o = await expectAccepted(() => c.head('a.txt'));
    expect(o.principal).toEqual({ accessKeyId: sts.accessKeyId, sts: true });
  });

  test('root key is reported as non-STS', async () => {
    const o = await expectAccepted(() => client(v4).head('a.txt'));
    expect(o.principal).toEqual({ accessKeyId: ROOT.accessKeyId, sts: false });
  });
});

describe.each([
  ['V1', false],
  ['V4', true],
])('%s rejections', (_name, v4) => {
  test('wrong secret → SignatureDoesNotMatch with the StringToSign', async () => {
    const o = await expectRejected(() => client(v4, { accessKeySecret: 'wrong' }).put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
    expect(o.details?.StringToSign).toContain(v4 ? 'OSS4-HMAC-SHA256' : `/${BUCKET}/a.txt`);
    expect(o.details?.SignatureProvided).toBeTruthy();
  });

  test('the client sees the error code', async () => {
    const { error } = await run(() => client(v4, { accessKeySecret: 'wrong' }).put('a.txt', Buffer.from('x')));
    expect(error?.code).toBe('SignatureDoesNotMatch');
  });

  test('unknown AccessKeyId → InvalidAccessKeyId', async () => {
    await expectRejected(() => client(v4, { accessKeyId: 'LTAIunknown' }).head('a.txt'), 'InvalidAccessKeyId');
  });

  test('STS: missing token, forged token, expired token, token with a root key', async () => {
    const sts = creds.issueSts(60);
    await expectRejected(() => client(v4, { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret }).head('a.txt'), 'InvalidSecurityToken');
    await expectRejected(() => client(v4, { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret, stsToken: `${sts.securityToken.slice(0, -4)}AAAA` }).head('a.txt'), 'InvalidSecurityToken');
    await expectRejected(() => client(v4, { stsToken: sts.securityToken }).head('a.txt'), 'InvalidSecurityToken');
    cap.clockOffsetMs = 2 * 60 * 1000; // past the 60 s token, well within the 15 min skew
    await expectRejected(() => client(v4, { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret, stsToken: sts.securityToken }).head('a.txt'), 'SecurityTokenExpired');
  });

  test('clock skew: 14 min accepted, 16 min either way → RequestTimeTooSkewed', async () => {
    await expectAccepted(() => client(v4, { amendTimeSkewed: -14 * 60 * 1000 }).head('a.txt'));
    await expectRejected(() => client(v4, { amendTimeSkewed: -16 * 60 * 1000 }).head('a.txt'), 'RequestTimeTooSkewed');
    cap.clockOffsetMs = -16 * 60 * 1000;
    await expectRejected(() => client(v4).head('a.txt'), 'RequestTimeTooSkewed');
  });

  test('tampered x-oss header, subresource, key, method → SignatureDoesNotMatch', async () => {
    const c = client(v4);
    cap.tamper = (r) => { r.headers['x-oss-meta-owner'] = 'mallory'; };
    await expectRejected(() => c.put('a.txt', Buffer.from('x'), { meta: { owner: 'alice' } as unknown as OSS.UserMeta }), 'SignatureDoesNotMatch');
    cap.tamper = (r) => { r.query.set('acl', ''); };
    await expectRejected(() => c.put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
    cap.tamper = (r) => { r.query.set('versionId', 'other'); };
    await expectRejected(() => c.head('a.txt', { versionId: 'mine' }), 'SignatureDoesNotMatch');
    cap.tamper = (r) => { r.key = 'b.txt'; };
    await expectRejected(() => c.put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
    cap.tamper = (r) => { r.method = 'DELETE'; };
    await expectRejected(() => c.put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
    cap.tamper = (r) => { r.headers['content-type'] = 'text/html'; };
    await expectRejected(() => c.put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
  });

  test('added x-oss header → SignatureDoesNotMatch; added plain query param only matters for V4', async () => {
    const c = client(v4);
    cap.tamper = (r) => { r.headers['x-oss-server-side-encryption'] = 'AES256'; };
    await expectRejected(() => c.put('a.txt', Buffer.from('x')), 'SignatureDoesNotMatch');
    // V1 signs only subresources (oss-api.md §4.1), V4 signs every query parameter (§4.2).
    cap.tamper = (r) => { r.query.set('prefix', 'evil'); };
    if (v4) await expectRejected(() => c.list({ prefix: 'good' }, {}), 'SignatureDoesNotMatch');
    else await expectAccepted(() => c.list({ prefix: 'good' }, {}));
  });

  test('no Authorization at all → AccessDenied', async () => {
    cap.tamper = (r) => { delete r.headers['authorization']; };
    await expectRejected(() => client(v4).head('a.txt'), 'AccessDenied');
  });
});

describe('presigned URLs', () => {
  // signatureUrl refuses IP endpoints, so sign for a host name and deliver the URL to the capture server.
  const hostClient = (over: Partial<OSS.Options> = {}) => client(false, { endpoint: `http://oss-cn-hangzhou.example.test:${cap.port}`, ...over });

  test('V1 signatureUrl GET with response-* override and a CJK key is accepted', async () => {
    const url = hostClient().signatureUrl('目录/a b+c.txt', { expires: 600, response: { 'content-type': 'text/plain', 'content-disposition': 'attachment; filename="x y.txt"' } });
    expect(await fetchVia(cap, url)).toBe(200);
    expect(cap.outcomes.at(-1)).toMatchObject({ bucket: BUCKET, key: '目录/a b+c.txt', principal: { accessKeyId: ROOT.accessKeyId, sts: false } });
  });

  test('V1 signatureUrl PUT with Content-Type must be sent with that Content-Type', async () => {
    const url = hostClient().signatureUrl('up.bin', { method: 'PUT', 'Content-Type': 'application/x-test' } as OSS.SignatureUrlOptions);
    expect(await fetchVia(cap, url, { method: 'PUT', headers: { 'content-type': 'application/x-test' } })).toBe(200);
    expect(await fetchVia(cap, url, { method: 'PUT', headers: { 'content-type': 'text/plain' } })).toBe(403);
    expect(cap.outcomes.at(-1)!.code).toBe('SignatureDoesNotMatch');
  });

  test('V1 signatureUrl with STS carries security-token', async () => {
    const sts = creds.issueSts(900);
    const url = hostClient({ accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret, stsToken: sts.securityToken }).signatureUrl('a.txt');
    expect(url).toContain('security-token=');
    expect(await fetchVia(cap, url)).toBe(200);
    expect(cap.outcomes.at(-1)!.principal).toEqual({ accessKeyId: sts.accessKeyId, sts: true });
  });

  test('V1 expired, forged or edited URLs are refused', async () => {
    const url = hostClient().signatureUrl('a.txt', { expires: 60 });
    cap.clockOffsetMs = 2 * 60 * 1000;
    expect(await fetchVia(cap, url)).toBe(403);
    expect(cap.outcomes.at(-1)!.code).toBe('AccessDenied');
    cap.clockOffsetMs = 0;
    const u = new URL(url);
    u.searchParams.set('Expires', String(Number(u.searchParams.get('Expires')) + 3600));
    expect(await fetchVia(cap, u.toString())).toBe(403);
    expect(cap.outcomes.at(-1)!.code).toBe('SignatureDoesNotMatch');
    const other = new URL(url);
    other.pathname = '/b.txt';
    expect(await fetchVia(cap, other.toString())).toBe(403);
    expect(cap.outcomes.at(-1)!.code).toBe('SignatureDoesNotMatch');
  });

  test('V4 signatureUrlV4 is accepted, and refused once expired', async () => {
    const c = client(true, { endpoint: `http://oss-cn-hangzhou.example.test:${cap.port}` });
    const url = await (c as unknown as { signatureUrlV4(m: string, e: number, r: object, k: string): Promise<string> })
      .signatureUrlV4('GET', 60, { queries: { 'response-content-type': 'text/plain' } }, 'v4 文件.txt');
    expect(await fetchVia(cap, url)).toBe(200);
    expect(cap.outcomes.at(-1)).toMatchObject({ key: 'v4 文件.txt', principal: { accessKeyId: ROOT.accessKeyId } });
    cap.clockOffsetMs = 2 * 60 * 1000;
    expect(await fetchVia(cap, url)).toBe(403);
    expect(cap.outcomes.at(-1)!.code).toBe('AccessDenied');
  });
});
