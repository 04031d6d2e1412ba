/**
 * One key several times in one invocation (at-least-once delivery can batch repeats, and the function's own
 * CopyObject echo can share a batch with the upload): exact repeats cost no request, and distinct records of one
 * key never race each other into two rewrites. Counted from the local OSS request log.
 */
import { startHarness, upload, ossEvent, type Harness } from '../function/harness';

describe('the same key more than once in one invocation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PRESERVE_ACL: 'false', CONCURRENCY: '8' });
  });
  afterAll(() => h.close());

  it('answers exact repeats without a request and rewrites the object once', async () => {
    const obj = await upload(h.client, 'dup/a.txt', Buffer.from('a'));
    h.oss.requestLog.clear();
    const summary = await h.handler.handler(ossEvent([obj, obj, obj, obj, obj]), h.context());
    expect(summary).toMatchObject({ total: 5, encrypted: 1, skipped: 4, failed: 0 });
    expect(summary.results.filter((r) => r.reason === 'duplicate-record')).toHaveLength(4);
    expect(h.oss.requestLog.counts()).toEqual({ HeadObject: 1, CopyObject: 1 });
  });

  it('runs distinct records of one key one after the other: one copy, the echo skipped after one HEAD', async () => {
    const obj = await upload(h.client, 'dup/b.txt', Buffer.from('b'));
    h.oss.requestLog.clear();
    const summary = await h.handler.handler(ossEvent([obj, { ...obj, eventName: 'ObjectCreated:CopyObject' }]), h.context());
    expect(summary.results.map((r) => [r.outcome, r.reason])).toEqual([['encrypted', 'unencrypted'], ['skipped', 'already-encrypted']]);
    expect(h.oss.requestLog.counts()).toEqual({ HeadObject: 2, CopyObject: 1 });
  });
});
