/**
 * A configured KMS key that does not exist, is disabled or is pending deletion: the copy fails permanently
 * (one CopyObject / InitiateMultipartUpload, no retry, counted in the local OSS request log) with an error that
 * names the key and says what to do, the object is left exactly as it was, and no multipart upload is left behind.
 */
import { CMK, startHarness, snapshot, upload, ossEvent, type Harness } from '../function/harness';
import { InvocationFailedError } from '../../src/errors';
import type { KmsKeyState } from '../../src/local-oss';

const DISABLED = 'cmk-disabled-0001';
const PENDING = 'cmk-pending-0001';
const MISSING = 'cmk-no-such-key-0001';

const keys: Array<{ id: string; state?: KmsKeyState }> = [{ id: CMK }, { id: DISABLED, state: 'Disabled' }, { id: PENDING, state: 'PendingDeletion' }];

async function harness(env: Record<string, string>): Promise<Harness> {
  // Retries would be visible as extra requests; allow plenty so "not retried" is meaningful.
  return startHarness({ RETRY_MAX_ATTEMPTS: '5', ...env }, { kms: { enabled: true, keys } });
}

const cases: Array<[string, string, string, RegExp]> = [
  ['unknown key', MISSING, 'OSS_KeyNotFound', /names an existing key in this region/],
  ['disabled key', DISABLED, 'OSS_KeyDisabled', /enable the KMS key or point SSE_KMS_KEY_ID at an enabled key/],
  ['key pending deletion', PENDING, 'OSS_KeyPendingDeletion', /cancel the key deletion/],
];

describe('unusable KMS keys fail permanently, clearly, and leave the object intact', () => {
  it.each(cases)('%s via SSE_KMS_KEY_ID: one CopyObject, no retry, object unchanged', async (_name, keyId, code, hint) => {
    const h = await harness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: keyId });
    try {
      const obj = await upload(h.client, 'kms/report.csv', Buffer.from('a,b\n1,2\n'), {
        headers: { 'Content-Type': 'text/csv', 'Cache-Control': 'no-cache', 'x-oss-object-acl': 'private', 'x-oss-tagging': 'team=fin' },
        meta: { owner: 'alice' },
      });
      const before = await snapshot(h.client, obj.key);
      h.oss.requestLog.clear();
      const err = await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationFailedError);
      const [r] = (err as InvocationFailedError).summary.results;
      expect(r).toMatchObject({ outcome: 'failed', reason: code, algorithm: 'KMS', kmsKeyId: keyId, error: { code } });
      expect(r!.error!.message).toContain(keyId);
      expect(r!.error!.message).toMatch(hint);
      // The object is tagged, so its tags are read to be sent with the copy (evidence §7).
      expect(h.oss.requestLog.counts({ key: obj.key })).toEqual({ HeadObject: 1, GetObjectACL: 1, GetObjectTagging: 1, CopyObject: 1 });
      expect(h.logs.lines().filter((l) => /^retrying/.test(String(l.msg)))).toEqual([]);
      expect(await snapshot(h.client, obj.key)).toEqual(before);
      expect((await h.client.head(obj.key)).res.headers).not.toHaveProperty('x-oss-server-side-encryption');
    } finally {
      await h.close();
    }
  });

  it('a disabled key in an SSE_RULES rule fails only that prefix; other objects are encrypted', async () => {
    const h = await harness({ SSE_RULES: JSON.stringify([{ prefix: 'fin/', algorithm: 'KMS', kmsKeyId: DISABLED }]) });
    try {
      const bad = await upload(h.client, 'fin/q3.xlsx', Buffer.from('q3'));
      const good = await upload(h.client, 'pub/readme.txt', Buffer.from('hello'));
      const before = await snapshot(h.client, bad.key);
      h.oss.requestLog.clear();
      const err = (await h.handler.handler(ossEvent([bad, good]), h.context()).catch((e: unknown) => e)) as InvocationFailedError;
      expect(err).toBeInstanceOf(InvocationFailedError);
      expect(err.message).toContain(`oss://test-bucket/${bad.key} (OSS_KeyDisabled)`);
      expect(err.summary).toMatchObject({ total: 2, encrypted: 1, failed: 1 });
      expect(h.oss.requestLog.counts({ key: bad.key }).CopyObject).toBe(1);
      expect(await snapshot(h.client, bad.key)).toEqual(before);
      expect((await h.client.head(good.key)).res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256' });
    } finally {
      await h.close();
    }
  });

  it('multipart path: Initiate fails once, no part is copied, no upload is left, object unchanged', async () => {
    const h = await harness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: DISABLED, MULTIPART_THRESHOLD_BYTES: '204800', MULTIPART_PART_BYTES: '102400' });
    try {
      const obj = await upload(h.client, 'kms/big.bin', Buffer.alloc(300 * 1024, 7));
      const before = await snapshot(h.client, obj.key);
      h.oss.requestLog.clear();
      const err = (await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e)) as InvocationFailedError;
      expect(err).toBeInstanceOf(InvocationFailedError);
      const [r] = err.summary.results;
      expect(r).toMatchObject({ outcome: 'failed', method: 'multipart', kmsKeyId: DISABLED, error: { code: 'OSS_KeyDisabled' } });
      expect(r!.error!.message).toContain(DISABLED);
      const counts = h.oss.requestLog.counts({ key: obj.key });
      expect(counts.InitiateMultipartUpload).toBe(1);
      expect(counts.UploadPartCopy).toBeUndefined();
      expect(h.oss.inspect.multipartUploads('test-bucket')).toEqual([]);
      expect(await snapshot(h.client, obj.key)).toEqual(before);
    } finally {
      await h.close();
    }
  });
});
