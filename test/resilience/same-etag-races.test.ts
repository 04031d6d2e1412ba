/**
 * Issue #10 item 2: changes that keep the ETag, made while an invocation is between its HEAD and its copy, are never
 * reverted. Each race is opened deterministically by holding the next request (`slow` fault, rate 1) and making the
 * change once the request log shows the step before it. The newer state must survive and end encrypted by its own
 * event, field by field. Also: a change during the settle wait of a fresh upload (src/core/guard.ts), and a
 * PutObjectAcl before the late ACL read.
 */
import type OSS from 'ali-oss';
import { diffSnapshots, takeSnapshot } from '../helpers/snapshot';
import { logged, putObjects, resultOf, startWorld, type World } from './world';

type Copying = OSS & { copy(name: string, source: string, opts?: object): Promise<unknown> };

describe('same-ETag changes racing the rewrite', () => {
  let w: World;
  let client: OSS;
  const bucket = 'same-etag';
  beforeAll(async () => {
    w = await startWorld();
    await w.oss.createBucket(bucket);
    client = w.client(bucket);
  });
  afterAll(() => w.close());
  afterEach(() => w.oss.faults.clear());

  const v1 = (key: string) => ({ key, body: Buffer.from('identical bytes'), headers: { 'Content-Type': 'text/plain', 'x-oss-object-acl': 'private' }, meta: { rev: '1' } });

  /** Holds CopyObject; once the ACL read is answered, runs `change`, then lets the copy go. */
  async function raceBeforeCopy(key: string, change: () => Promise<{ key: string; eTag: string; size: number }>) {
    const [old] = await putObjects(client, [v1(key)]);
    w.oss.requestLog.clear();
    // times: 1 holds only the function's copy, not a set-meta copy the race itself makes.
    w.oss.faults.set([{ op: 'CopyObject', kind: 'slow', rate: 1, delayMs: 1000, times: 1 }]);
    const pending = w.invoke(bucket, [old!]);
    await logged(w, 'GetObjectACL', key);
    // The function sends its copy right after the ACL answer; let it reach the hold first (the hold is 1 s, this 150 ms),
    // or the race's own request would take the one-time hold.
    await new Promise((res) => setTimeout(res, 150));
    const newer = await change();
    const newest = await takeSnapshot(client, key);
    const first = resultOf(await pending, key)!;
    w.oss.faults.clear();
    return { old: old!, newer, newest, first };
  }

  test('identical bytes re-uploaded with other metadata and ACL: the newer upload is not reverted (same ETag)', async () => {
    const key = 'race/reupload.txt';
    const r = await raceBeforeCopy(key, async () => {
      const [n] = await putObjects(client, [{ key, body: Buffer.from('identical bytes'), headers: { 'Content-Type': 'application/json', 'x-oss-object-acl': 'public-read' }, meta: { rev: '2' } }], { fresh: true });
      return n!;
    });
    expect(r.newer.eTag).toBe(r.old.eTag);
    expect(r.first).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(diffSnapshots(r.newest, await takeSnapshot(client, key))).toEqual([]);
    // The newer upload's own event encrypts it with its own metadata and ACL.
    expect(resultOf(await w.invoke(bucket, [r.newer]), key)).toMatchObject({ outcome: 'encrypted' });
    const after = await takeSnapshot(client, key);
    expect(after.sse?.algorithm).toBe('AES256');
    expect(diffSnapshots(r.newest, after)).toEqual([]);
    expect(after).toMatchObject({ acl: 'public-read', standard: { 'content-type': 'application/json' }, userMeta: { 'x-oss-meta-rev': '2' } });
  });

  test('a metadata-only in-place copy (set-meta) is not reverted', async () => {
    const key = 'race/set-meta.txt';
    const r = await raceBeforeCopy(key, async () => {
      await (client as Copying).copy(key, key, { headers: { 'Content-Type': 'application/json', 'x-oss-metadata-directive': 'REPLACE' }, meta: { rev: '2' } });
      return { key, eTag: r0Etag(await takeSnapshot(client, key)), size: 15 };
    });
    expect(r.first).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(diffSnapshots(r.newest, await takeSnapshot(client, key))).toEqual([]);
    expect(resultOf(await w.invoke(bucket, [{ ...r.newer, eventName: 'ObjectCreated:CopyObject' }]), key)).toMatchObject({ outcome: 'encrypted' });
    const after = await takeSnapshot(client, key);
    expect(after.sse?.algorithm).toBe('AES256');
    expect(after).toMatchObject({ standard: { 'content-type': 'application/json' }, userMeta: { 'x-oss-meta-rev': '2' } });
  });

  test('a PutObjectAcl before the ACL read is kept (the ACL is read as late as possible)', async () => {
    const key = 'race/acl-early.txt';
    const [old] = await putObjects(client, [v1(key)]);
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'GetObjectACL', kind: 'slow', rate: 1, delayMs: 800 }]);
    const pending = w.invoke(bucket, [old!]);
    await logged(w, 'HeadObject', key);
    await client.putACL(key, 'public-read');
    expect(resultOf(await pending, key)).toMatchObject({ outcome: 'encrypted' });
    expect(await takeSnapshot(client, key)).toMatchObject({ acl: 'public-read', sse: { algorithm: 'AES256' } });
  });

  test('a fresh upload changed during the settle wait: the rewrite uses the newest metadata', async () => {
    const key = 'race/settle.txt';
    // Not backdated: the first HEAD is answered in the upload's second, so the handler waits and HEADs again.
    const [old] = await putObjects(client, [v1(key)], { fresh: true });
    w.oss.requestLog.clear();
    const pending = w.invoke(bucket, [old!]);
    await logged(w, 'HeadObject', key);
    await (client as Copying).copy(key, key, { headers: { 'Content-Type': 'application/json', 'x-oss-metadata-directive': 'REPLACE' }, meta: { rev: '2' } });
    const newest = await takeSnapshot(client, key);
    const r = resultOf(await pending, key)!;
    // Either the settle HEAD saw the change (and the rewrite kept it) or the guard refused the copy (412, replaced).
    expect(['encrypted', 'skipped']).toContain(r.outcome);
    if (r.outcome === 'skipped') expect(r.reason).toBe('replaced');
    else expect(r.settleHeads).toBeGreaterThan(0);
    expect(diffSnapshots(newest, await takeSnapshot(client, key))).toEqual([]);
  });
});

function r0Etag(s: { etag: string }): string {
  return s.etag.replace(/"/g, '');
}
