/**
 * Event keys may or may not be URL-encoded (unconfirmed), so after a 404 the decoded form is tried once. Keys from a
 * listing or an inventory are exact: for them a 404 means gone, and the decoded form would name another object.
 */
import { BUCKET, startHarness, upload, type Harness } from '../function/harness';
import { encryptObject } from '../../src/core/encrypt';

describe('exact keys (listing, inventory) vs event keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PRESERVE_ACL: 'false' });
  });
  afterAll(() => h.close());

  it('an event key that 404s is retried decoded; an exact key is reported gone with one HEAD and the look-alike untouched', async () => {
    await upload(h.client, 'exact/report 2026.csv', Buffer.from('look-alike'));

    h.oss.requestLog.clear();
    const fromEvent = await encryptObject({ bucket: BUCKET, key: 'exact/report+2026.csv' }, { oss: h.gateway(), policy: h.policy, logger: h.logs.logger });
    expect(fromEvent).toMatchObject({ outcome: 'encrypted', key: 'exact/report 2026.csv' });

    await upload(h.client, 'exact/report 2027.csv', Buffer.from('look-alike'));
    h.oss.requestLog.clear();
    const listed = await encryptObject({ bucket: BUCKET, key: 'exact/report+2027.csv', keyIsExact: true }, { oss: h.gateway(), policy: h.policy, logger: h.logs.logger });
    expect(listed).toMatchObject({ outcome: 'skipped', reason: 'gone', key: 'exact/report+2027.csv' });
    expect(h.oss.requestLog.entries().map((e) => [e.op, e.key])).toEqual([['HeadObject', 'exact/report+2027.csv']]);
    const lookAlike = (await h.client.head('exact/report 2027.csv')).res.headers as Record<string, string>;
    expect(lookAlike['x-oss-server-side-encryption']).toBeUndefined();
  });
});
