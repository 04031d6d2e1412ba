/**
 * Issue #10 items 5, 6, 9, 10 and issue #15 item 3, each through the real handler against the local OSS:
 * - FC's deadline: a multipart rewrite that cannot finish stops starting parts, aborts its upload before the
 *   deadline and fails with DEADLINE_TOO_CLOSE (so FC retries); with time enough the same object is encrypted.
 * - The copy size limit: a copy refused as too large (400 EntityTooLarge) falls back to multipart.
 * - SSE_KMS_KEY_ID as an ARN is compared as its key id; an alias is refused at start.
 * - Retention (WORM) and overwrite protection: a named skip with a hint, one copy attempt, no retry.
 * - SSE_RULES match the key actually encrypted, not the event's spelling of it.
 */
import { randomBytes } from 'node:crypto';
import { startHarness, ossEvent, upload, BUCKET, CMK, type Harness } from './harness';
import { InvocationFailedError, ConfigError } from '../../src/errors';
import { loadPolicy } from '../../src/config';
import { createHandler } from '../../src/function/create-handler';

const PART = 100 * 1024;

describe('FC deadline on the multipart path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ MULTIPART_THRESHOLD_BYTES: String(PART), MULTIPART_PART_BYTES: String(PART), MULTIPART_CONCURRENCY: '1' });
  });
  afterAll(() => h.close());

  it('stops before the parts that cannot finish, aborts the upload, fails with DEADLINE_TOO_CLOSE; a longer timeout encrypts it', async () => {
    const body = randomBytes(4 * PART);
    const obj = await upload(h.client, 'deadline/big.bin', body, { headers: { 'Content-Type': 'video/mp4' } });
    // Each part copy takes 700 ms; 6 s of timeout leaves 1 s beyond the 5 s completion reserve: one part fits, four don't.
    h.oss.faults.set([{ op: 'UploadPartCopy', kind: 'slow', rate: 1, delayMs: 700 }]);
    h.oss.requestLog.clear();
    const err = await h.handler.handler(ossEvent([obj]), { ...h.context(), function: { name: 'f', timeout: 6 } }).catch((e: unknown) => e);
    h.oss.faults.clear();
    expect(err).toBeInstanceOf(InvocationFailedError);
    const [r] = (err as InvocationFailedError).summary.results;
    expect(r).toMatchObject({ outcome: 'failed', reason: 'DEADLINE_TOO_CLOSE', method: 'multipart' });
    expect(r!.error!.message).toMatch(/stopped after 1 of 4 part copies.*aborted.*Raise the function timeout/);
    const ops = h.oss.requestLog.counts({ key: obj.key });
    expect(ops).toMatchObject({ InitiateMultipartUpload: 1, UploadPartCopy: 1, AbortMultipartUpload: 1 });
    expect(ops.CompleteMultipartUpload).toBeUndefined();
    expect(h.oss.inspect.multipartUploads(BUCKET)).toEqual([]);
    expect((await h.client.head(obj.key)).res.headers).not.toHaveProperty('x-oss-server-side-encryption');

    const again = await h.handler.handler(ossEvent([obj]), { ...h.context(), function: { name: 'f', timeout: 600 } });
    expect(again.results[0]).toMatchObject({ outcome: 'encrypted', method: 'multipart' });
    expect(((await h.client.get(obj.key)).content as Buffer).equals(body)).toBe(true);
  });

  it('a part that hangs: the timer aborts the upload before the deadline, not after', async () => {
    const obj = await upload(h.client, 'deadline/hang.bin', randomBytes(2 * PART));
    // 7 s timeout, 5 s reserve: the timer fires about 2 s in, while the first part is held for 6 s.
    h.oss.faults.set([{ op: 'UploadPartCopy', kind: 'slow', rate: 1, delayMs: 6000, times: 1 }]);
    h.oss.requestLog.clear();
    const err = await h.handler.handler(ossEvent([obj]), { ...h.context(), function: { name: 'f', timeout: 7 } }).catch((e: unknown) => e);
    expect((err as InvocationFailedError).summary.results[0]).toMatchObject({ outcome: 'failed', reason: 'DEADLINE_TOO_CLOSE' });
    // Aborted while the part was still held: the Abort is logged, and no part copy has been answered yet.
    const ops = h.oss.requestLog.counts({ key: obj.key });
    expect(ops.AbortMultipartUpload).toBe(1);
    expect(ops.UploadPartCopy ?? 0).toBe(0);
    expect(h.oss.inspect.multipartUploads(BUCKET)).toEqual([]);
    h.oss.faults.clear();
  });

  it('does not even initiate when the reserve alone does not fit', async () => {
    const obj = await upload(h.client, 'deadline/none.bin', randomBytes(2 * PART));
    h.oss.requestLog.clear();
    const err = await h.handler.handler(ossEvent([obj]), { ...h.context(), function: { name: 'f', timeout: 3 } }).catch((e: unknown) => e);
    expect((err as InvocationFailedError).summary.results[0]).toMatchObject({ outcome: 'failed', reason: 'DEADLINE_TOO_CLOSE' });
    expect(h.oss.requestLog.counts({ key: obj.key }).InitiateMultipartUpload).toBeUndefined();
  });
});

describe('Last-Modified ahead of the server clock', () => {
  it('fails GUARD_NOT_SETTLED at once (FC retries) instead of waiting out the skew', async () => {
    const h = await startHarness();
    try {
      const obj = await upload(h.client, 'skew/a.txt', Buffer.from('x'), { fresh: true });
      await h.oss.inspect.backdate(BUCKET, -30_000, obj.key);
      h.oss.requestLog.clear();
      const err = await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e);
      expect((err as InvocationFailedError).summary.results[0]).toMatchObject({ outcome: 'failed', reason: 'GUARD_NOT_SETTLED' });
      expect(h.oss.requestLog.counts({ key: obj.key })).toEqual({ HeadObject: 1 });
    } finally {
      await h.close();
    }
  });
});

describe('copy size limit', () => {
  it('falls back to multipart when CopyObject is refused as too large (OSS "1 GB" below the threshold)', async () => {
    const h = await startHarness({}, { copyChangeLimitBytes: 150 * 1024 });
    try {
      const body = randomBytes(250 * 1024);
      const obj = await upload(h.client, 'limit/a.bin', body, { headers: { 'Content-Type': 'application/zip', 'x-oss-tagging': 'k=v', 'x-oss-object-acl': 'private' }, meta: { m: '1' } });
      const r = (await h.handler.handler(ossEvent([obj]), h.context())).results[0]!;
      expect(r).toMatchObject({ outcome: 'encrypted', method: 'multipart' });
      expect(h.oss.requestLog.counts({ key: obj.key })).toMatchObject({ CopyObject: 1, InitiateMultipartUpload: 1, CompleteMultipartUpload: 1 });
      const after = await h.client.head(obj.key);
      expect(after.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256', 'content-type': 'application/zip', 'x-oss-meta-m': '1' });
      expect((await h.client.getACL(obj.key)).acl).toBe('private');
      expect((await h.client.getObjectTagging(obj.key)).tag).toEqual({ k: 'v' });
    } finally {
      await h.close();
    }
  });

  it('defaults MULTIPART_THRESHOLD_BYTES to 10^9 and refuses more at start', () => {
    expect(loadPolicy({}).multipartThresholdBytes).toBe(1_000_000_000);
    expect(() => loadPolicy({ MULTIPART_THRESHOLD_BYTES: String(2 ** 30) })).toThrow(/MULTIPART_THRESHOLD_BYTES="1073741824" is not valid; expected a whole number from 1 to 1000000000/);
  });
});

describe('KMS key given as ARN or alias', () => {
  it('an ARN is compared as its key id: encrypted and confirmed on the first attempt', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: `acs:kms:cn-hangzhou:1234567890123456:key/${CMK}` });
    try {
      const obj = await upload(h.client, 'arn/a.txt', Buffer.from('x'));
      h.oss.requestLog.clear();
      const r = (await h.handler.handler(ossEvent([obj]), h.context())).results[0]!;
      expect(r).toMatchObject({ outcome: 'encrypted', kmsKeyId: CMK });
      expect(h.oss.requestLog.counts({ key: obj.key }).CopyObject).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('an ARN in upper case is still an ARN (resolved), not a literal id', () => {
    expect(loadPolicy({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: `ACS:KMS:cn-hangzhou:123:key/${CMK}` }).kmsKeyId).toBe(CMK);
  });

  it('an alias is refused at start with what to give instead', () => {
    const err = (() => { try { createHandler({ env: { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'alias/finance' } }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/SSE_KMS_KEY_ID="alias\/finance" names the key by alias.*give the key id instead/);
  });
});

describe('write-protected buckets', () => {
  it.each([
    ['retention policy (WORM)', 'FileImmutable', /retention \(WORM\) policy/],
    ['overwrite protection', 'FileAlreadyExists', /overwrite-protection rule/],
  ])('%s: a named skip with a hint, one copy attempt, the object unchanged', async (name, code, hint) => {
    const h = await startHarness();
    try {
      const obj = await upload(h.client, 'protected/a.txt', Buffer.from('keep'), { headers: { 'Content-Type': 'text/plain' } });
      if (code === 'FileImmutable') {
        const id = await h.oss.protection.initiateWorm(BUCKET, 1);
        await h.oss.protection.completeWorm(BUCKET, id);
      } else {
        await h.oss.protection.putOverwriteConfig(BUCKET, [{ id: 'r', action: 'forbid', prefix: 'protected/' }]);
      }
      h.oss.requestLog.clear();
      const summary = await h.handler.handler(ossEvent([obj]), h.context());
      const r = summary.results[0]!;
      expect(r).toMatchObject({ outcome: 'skipped', reason: 'write-protected', error: { code: `OSS_${code}` } });
      expect(r.error!.message).toMatch(hint);
      expect(h.oss.requestLog.counts({ key: obj.key }).CopyObject).toBe(1);
      expect(h.logs.lines().filter((l) => /^retrying/.test(String(l.msg)))).toEqual([]);
      expect(h.logs.lines().find((l) => l.reason === 'write-protected')).toMatchObject({ level: 'warn' });
      expect((await h.client.head(obj.key)).res.headers).not.toHaveProperty('x-oss-server-side-encryption');
    } finally {
      await h.close();
    }
  });
});

describe('SSE_RULES and the key actually encrypted', () => {
  it.each([
    ['a skip rule', 'public+assets/x.png', 'public assets/x.png', { outcome: 'skipped', reason: 'excluded-by-rule' }],
    ['an SM4 rule', 'finance/q3+report.csv', 'finance/q3 report.csv', { outcome: 'encrypted', algorithm: 'SM4' }],
  ])('%s matches the decoded key the object really has', async (_name, eventKey, realKey, expected) => {
    const h = await startHarness({ SSE_RULES: JSON.stringify([{ prefix: 'public assets/', skip: true }, { prefix: 'finance/q3 ', algorithm: 'SM4' }]) });
    try {
      await upload(h.client, realKey, Buffer.from('x'));
      const r = (await h.handler.handler(ossEvent([{ key: eventKey }]), h.context())).results[0]!;
      expect(r).toMatchObject({ key: realKey, ...expected });
      const sse = (await h.client.head(realKey)).res.headers as Record<string, string>;
      expect(sse['x-oss-server-side-encryption']).toBe(expected.outcome === 'encrypted' ? 'SM4' : undefined);
    } finally {
      await h.close();
    }
  });
});
