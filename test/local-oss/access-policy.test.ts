/**
 * Explicit Deny rules (a RAM policy's Deny, for `doctor` and permission tests): the chosen action for the chosen
 * credentials answers 403 AccessDenied as OSS does for an explicit RAM Deny; everything else still works.
 */
import OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { requiredActions } from '../../src/local-oss/auth/access-policy';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';
import { rawRequest } from './raw-request';

type ErrLike = { status: number; code: string; message: string; ecCode?: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);

describe.each([['V1', false], ['V4', true]])('deny rules (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => {
    oss = await startTestOss();
    c = ossClient(oss, 'test-bucket', { v4 });
    await c.put('k', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'private' } } as OSS.PutObjectOptions);
  });
  afterEach(() => oss.access.clear());
  afterAll(() => oss.close());

  it('answers a denied action with 403 AccessDenied (EC 0003-00000201) and leaves other actions alone', async () => {
    const undo = oss.access.deny({ action: 'oss:GetObjectAcl' });
    expect(await failure(c.getACL('k'))).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Access denied by bucket policy.', ecCode: '0003-00000201' });
    expect((await c.head('k')).status).toBe(200);
    await c.putACL('k', 'private');
    undo();
    expect((await c.getACL('k')).acl).toBe('private');
  });

  it('names the denied action in AccessDeniedDetail, as OSS does', async () => {
    oss.access.deny({ action: 'oss:GetObjectAcl' });
    const r = await rawRequest(oss, { method: 'GET', bucket: 'test-bucket', key: 'k', subres: { acl: '' }, v4 });
    expect(r.status).toBe(403);
    expect(r.body).toContain('<AccessDeniedDetail><PolicyType>AccountLevelIdentityBasedPolicy</PolicyType><AuthPrincipalType>SubUser</AuthPrincipalType><NoPermissionType>ExplicitDeny</NoPermissionType><AuthAction>oss:GetObjectAcl</AuthAction></AccessDeniedDetail>');
  });

  it('denies only the chosen credentials, and every operation needing the action (PutObject, CopyObject, multipart)', async () => {
    const creds = oss.issueStsCredentials();
    const sts = new OSS({
      endpoint: oss.endpoint, region: 'oss-' + oss.region, bucket: 'test-bucket', authorizationV4: v4,
      accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, stsToken: creds.securityToken,
    } as OSS.Options);
    oss.access.deny({ action: 'oss:PutObject', accessKeyId: creds.accessKeyId });
    expect(await failure(sts.put('k2', Buffer.from('y')))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await failure(sts.copy('k', 'k', { headers: { 'x-oss-server-side-encryption': 'AES256' } } as never))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await failure(sts.initMultipartUpload('k3'))).toMatchObject({ status: 403, code: 'AccessDenied' });
    await c.put('k2', Buffer.from('root is not denied'));
  });

  it('denies HEAD and copies through oss:GetObject, and versioned reads through oss:GetObjectVersion only', async () => {
    oss.access.deny({ action: 'oss:GetObjectVersion' });
    expect((await c.head('k')).status).toBe(200);
    expect(await failure(c.head('k', { versionId: 'null' } as never))).toMatchObject({ status: 403, code: 'AccessDenied' });
    oss.access.clear();
    oss.access.deny({ action: 'oss:getobject', bucket: 'test-bucket' }); // RAM actions are case-insensitive
    expect(await failure(c.head('k'))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await failure(c.copy('k-copy', 'k'))).toMatchObject({ status: 403, code: 'AccessDenied' });
    await c.put('k4', Buffer.from('writes still work'));
  });

  it('refuses a malformed rule', () => {
    expect(() => oss.access.deny({ action: 'GetObject' })).toThrow(/deny action must look like "oss:GetObjectAcl"/);
  });
});

describe('deny rules on a copy between buckets', () => {
  let oss: LocalOss;
  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['test-bucket', 'src-bucket'], multipartMinPartBytes: 1 });
    await ossClient(oss, 'src-bucket').put('k', Buffer.from('secret'));
  });
  afterEach(() => oss.access.clear());
  afterAll(() => oss.close());

  it('checks oss:GetObject against the source bucket (CopyObject and UploadPartCopy), not the destination', async () => {
    const c = ossClient(oss, 'test-bucket');
    oss.access.deny({ action: 'oss:GetObject', bucket: 'src-bucket' });
    expect(await failure(c.copy('stolen', 'k', 'src-bucket'))).toMatchObject({ status: 403, code: 'AccessDenied' });
    const { uploadId } = await c.initMultipartUpload('stolen-mp');
    const part = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'stolen-mp', subres: { partNumber: '1', uploadId }, headers: { 'x-oss-copy-source': '/src-bucket/k' } });
    expect(part.status).toBe(403);
    expect(part.body).toContain('<AuthAction>oss:GetObject</AuthAction>');
    oss.access.clear();
    oss.access.deny({ action: 'oss:GetObject', bucket: 'test-bucket' });
    expect((await c.copy('copied', 'k', 'src-bucket')).res.status).toBe(200);
    const ok = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'stolen-mp', subres: { partNumber: '1', uploadId }, headers: { 'x-oss-copy-source': '/src-bucket/k' } });
    expect(ok.status).toBe(200);
  });
});

describe('deny rules on DeleteMultipleObjects', () => {
  it('checks oss:DeleteObjectVersion for entries with a VersionId before deleting any key', async () => {
    const oss = await startTestOss();
    try {
      const c = ossClient(oss, 'test-bucket');
      await c.putBucketVersioning('test-bucket', 'Enabled');
      await c.put('plain', Buffer.from('x'));
      const versionId = ((await c.put('versioned', Buffer.from('x'))).res.headers as Record<string, string>)['x-oss-version-id']!;
      oss.access.deny({ action: 'oss:DeleteObjectVersion' });
      expect(await failure(c.deleteMulti(['plain', { key: 'versioned', versionId }] as never))).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((await c.head('plain')).status).toBe(200);
      expect((await c.head('versioned', { versionId } as never)).status).toBe(200);
      await c.deleteMulti(['plain']);
      expect(await failure(c.head('plain'))).toMatchObject({ status: 404 });
    } finally { await oss.close(); }
  });
});

describe('requiredActions', () => {
  const req = (op: string, query = '', headers: Record<string, string> = {}) =>
    requiredActions({ op, principal: { accessKeyId: 'AK', sts: false }, query: new URLSearchParams(query), headers });
  it.each([
    ['HeadObject', '', {}, ['oss:GetObject']],
    ['GetObjectACL', 'acl', {}, ['oss:GetObjectAcl']],
    ['GetObjectACL', 'acl&versionId=v1', {}, ['oss:GetObjectVersionAcl']],
    ['DeleteObject', 'versionId=v1', {}, ['oss:DeleteObjectVersion']],
    ['CopyObject', '', { 'x-oss-copy-source': '/b/k?versionId=v1' }, ['oss:PutObject', 'oss:GetObjectVersion']],
    ['UploadPart', 'uploadId=u&partNumber=1', {}, ['oss:PutObject']],
    ['GetObjectTagging', 'tagging', {}, ['oss:GetObjectTagging']],
    ['AbortMultipartUpload', 'uploadId=u', {}, ['oss:AbortMultipartUpload']],
    ['ListObjectsV2', 'list-type=2', {}, ['oss:ListObjects']],
  ])('%s ?%s (copy source %j)', (op, query, headers, actions) => {
    expect(req(op, query, headers)).toEqual(actions);
  });
});
