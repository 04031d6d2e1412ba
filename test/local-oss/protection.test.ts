/**
 * Bucket write protection (oss-evidence.md §21): overwrite-protection rules (PutBucketOverwriteConfig, sent raw as
 * ali-oss lacks it) and the retention policy (WORM, through ali-oss's own initiate/complete/get/abortBucketWorm).
 * Every write path onto a protected key (PutObject, in-place CopyObject, CompleteMultipartUpload) must fail as OSS
 * does, and nothing else.
 */
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';
import { rawRequest } from './raw-request';

type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
type WormClient = OssClient & {
  initiateBucketWorm(name: string, days: string): Promise<{ wormId: string }>;
  completeBucketWorm(name: string, wormId: string): Promise<unknown>;
  abortBucketWorm(name: string): Promise<{ status: number }>;
  getBucketWorm(name: string): Promise<{ wormId: string; state: string; days: string }>;
};

const GO2_RULES = '<OverwriteConfiguration><Rule><ID>1</ID><Action>forbid</Action><Prefix>locked/</Prefix><Suffix>.txt</Suffix></Rule>'
  + '<Rule><ID>2</ID><Action>forbid</Action><Prefix>team/</Prefix><Principals><Principal>PRINCIPAL</Principal></Principals></Rule></OverwriteConfiguration>';

/** Every way a client overwrites `key`: PutObject, an in-place CopyObject that encrypts it, a multipart upload. */
async function overwriteAttempts(c: OssClient, key: string): Promise<Array<[string, ErrLike | 'ok']>> {
  const outcome = (p: Promise<unknown>) => p.then(() => 'ok' as const, (e: ErrLike) => e);
  const put = await outcome(c.put(key, Buffer.from('new')));
  const copy = await outcome(c.copy(key, key, { headers: { 'x-oss-server-side-encryption': 'AES256' } } as unknown as OSS.CopyObjectOptions));
  const init = await c.initMultipartUpload(key);
  const part = await c.uploadPart(key, init.uploadId, 1, Buffer.from('mp'), 0, 2);
  const complete = await outcome(c.completeMultipartUpload(key, init.uploadId, [{ number: 1, etag: part.etag }]));
  if (complete !== 'ok') await c.abortMultipartUpload(key, init.uploadId); // a refused Complete leaves the upload open
  return [['PutObject', put], ['CopyObject', copy], ['CompleteMultipartUpload', complete]];
}

describe.each([['V1', false], ['V4', true]])('bucket overwrite protection (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => {
    oss = await startTestOss({ multipartMinPartBytes: 1 });
    c = ossClient(oss, 'test-bucket', { v4 });
  });
  afterAll(() => oss.close());

  it('stores, returns and deletes the rules (XML of the official Go SDK v2)', async () => {
    const put = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', subres: { overwriteConfig: '' }, v4, headers: { 'content-type': 'application/xml' }, body: GO2_RULES });
    expect(put.status).toBe(200);
    expect(oss.protection.overwriteConfig('test-bucket')).toEqual([
      { id: '1', action: 'forbid', prefix: 'locked/', suffix: '.txt' },
      { id: '2', action: 'forbid', prefix: 'team/', principals: ['PRINCIPAL'] },
    ]);
    const got = await rawRequest(oss, { method: 'GET', bucket: 'test-bucket', subres: { overwriteConfig: '' }, v4 });
    expect(got.status).toBe(200);
    expect(got.body).toContain('<Rule><ID>2</ID><Action>forbid</Action><Prefix>team/</Prefix><Suffix></Suffix><Principals><Principal>PRINCIPAL</Principal></Principals></Rule>');
    const bad = await rawRequest(oss, { method: 'PUT', bucket: 'test-bucket', subres: { overwriteConfig: '' }, v4, body: '<OverwriteConfiguration><Rule><Action>allow</Action></Rule></OverwriteConfiguration>' });
    expect(bad).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect((await rawRequest(oss, { method: 'DELETE', bucket: 'test-bucket', subres: { overwriteConfig: '' }, v4 })).status).toBe(204);
    expect(oss.protection.overwriteConfig('test-bucket')).toEqual([]);
  });

  it('refuses every overwrite of a matching key with 409 FileAlreadyExists, and only those', async () => {
    await c.put('locked/a.txt', Buffer.from('old'));
    await c.put('locked/a.bin', Buffer.from('old'));
    await oss.protection.putOverwriteConfig('test-bucket', [{ id: 'r', action: 'forbid', prefix: 'locked/', suffix: '.txt' }]);
    try {
      for (const [op, result] of await overwriteAttempts(c, 'locked/a.txt')) {
        expect([op, result]).toEqual([op, expect.objectContaining({ status: 409, code: 'FileAlreadyExists' })]);
      }
      expect((await c.get('locked/a.txt')).content.toString()).toBe('old');
      await c.put('locked/new.txt', Buffer.from('a new key is no overwrite'));
      expect((await overwriteAttempts(c, 'locked/a.bin')).map(([, r]) => r)).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await oss.protection.putOverwriteConfig('test-bucket', []);
    }
  });

  it('lets the rule\'s principals overwrite, and refuses other credentials', async () => {
    await c.put('team/doc', Buffer.from('old'));
    await oss.protection.putOverwriteConfig('test-bucket', [{ action: 'forbid', prefix: 'team/', principals: [oss.accessKeyId] }]);
    try {
      await c.put('team/doc', Buffer.from('by a listed principal'));
      const sts = ossClient(oss, 'test-bucket', { v4, sts: true });
      expect(await failure(sts.put('team/doc', Buffer.from('by someone else')))).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    } finally {
      await oss.protection.putOverwriteConfig('test-bucket', []);
    }
  });

  it('does not protect a versioned bucket, where an overwrite keeps the old version', async () => {
    await oss.createBucket(`versioned-${v4 ? 'v4' : 'v1'}`);
    const vb = `versioned-${v4 ? 'v4' : 'v1'}`;
    const vc = ossClient(oss, vb, { v4 });
    await vc.putBucketVersioning(vb, 'Enabled');
    await vc.put('locked/a.txt', Buffer.from('old'));
    await oss.protection.putOverwriteConfig(vb, [{ action: 'forbid' }]);
    await vc.put('locked/a.txt', Buffer.from('new'));
  });
});

describe('bucket retention policy (WORM)', () => {
  let oss: LocalOss;
  let c: WormClient;
  beforeAll(async () => {
    oss = await startTestOss({ multipartMinPartBytes: 1 });
    c = ossClient(oss, 'test-bucket') as WormClient;
  });
  afterAll(() => oss.close());

  it('protects objects from overwrite and delete with 409 FileImmutable from InitiateBucketWorm on; new keys can be written', async () => {
    await c.put('kept', Buffer.from('old'));
    const { wormId } = await c.initiateBucketWorm('test-bucket', '30');
    expect(wormId).toMatch(/^[0-9A-F]+$/);
    expect(await c.getBucketWorm('test-bucket')).toMatchObject({ wormId, state: 'InProgress', days: '30' });
    for (const [op, result] of await overwriteAttempts(c, 'kept')) {
      expect([op, result]).toEqual([op, expect.objectContaining({ status: 409, code: 'FileImmutable' })]);
    }
    expect(await failure(c.delete('kept'))).toMatchObject({ status: 409, code: 'FileImmutable' });
    expect(await failure(c.deleteMulti(['kept']))).toMatchObject({ status: 409, code: 'FileImmutable' });
    expect((await c.get('kept')).content.toString()).toBe('old');
    await c.put('fresh', Buffer.from('new key'));

    await c.completeBucketWorm('test-bucket', wormId);
    expect(await c.getBucketWorm('test-bucket')).toMatchObject({ wormId, state: 'Locked' });
    expect(await failure(c.put('fresh', Buffer.from('again')))).toMatchObject({ status: 409, code: 'FileImmutable' });
    // ali-oss's abortBucketWorm sets no success statuses, so it resolves with the error status.
    expect(await c.abortBucketWorm('test-bucket')).toMatchObject({ status: 403 });
    expect(oss.protection.worm('test-bucket')).toMatchObject({ state: 'Locked' });
  });

  it('can be aborted while InProgress, and then nothing is protected', async () => {
    await oss.createBucket('worm-abort');
    const a = ossClient(oss, 'worm-abort') as WormClient;
    await a.put('k', Buffer.from('old'));
    const wormId = await oss.protection.initiateWorm('worm-abort', 1);
    expect(oss.protection.worm('worm-abort')).toMatchObject({ wormId, state: 'InProgress', retentionDays: 1 });
    expect(await failure(a.put('k', Buffer.from('new')))).toMatchObject({ code: 'FileImmutable' });
    await a.abortBucketWorm('worm-abort');
    expect(await failure(a.getBucketWorm('worm-abort'))).toMatchObject({ status: 404, code: 'NoSuchWORMConfiguration' });
    await a.put('k', Buffer.from('new'));
    await a.delete('k');
  });

  it('refuses a bad retention period', async () => {
    await oss.createBucket('worm-bad');
    expect(await failure(c.initiateBucketWorm('worm-bad', '0'))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    await expect(oss.protection.initiateWorm('worm-bad', 1.5)).rejects.toThrow(/RetentionPeriodInDays must be an integer from 1/);
  });
});

describe('DeleteMultipleObjects under retention', () => {
  it('deletes nothing when one key is retained (all or nothing)', async () => {
    const oss = await startTestOss();
    try {
      const c = ossClient(oss, 'test-bucket');
      await c.put('w/free', Buffer.from('x'));
      await oss.inspect.backdate('test-bucket', 3 * 86_400_000, 'w/free'); // outside the 1-day retention
      await c.put('w/retained', Buffer.from('x'));
      await oss.protection.completeWorm('test-bucket', await oss.protection.initiateWorm('test-bucket', 1));
      expect(await failure(c.deleteMulti(['w/free', 'w/retained']))).toMatchObject({ status: 409, code: 'FileImmutable' });
      expect((await c.head('w/free')).status).toBe(200);
      await c.deleteMulti(['w/free']);
      expect(await failure(c.head('w/free'))).toMatchObject({ status: 404 });
    } finally { await oss.close(); }
  });
});
