/**
 * Request economy (counted by the local OSS), retries under injected faults, permanent errors,
 * malformed events and start-up configuration errors.
 */
import { BUCKET, CMK, headers, ossEvent, startHarness, upload, type Harness } from './harness';
import { ConfigError, EventError, InvocationFailedError } from '../../src/errors';
import { createHandler } from '../../src/function/create-handler';

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('request economy (from the local OSS request log)', () => {
  it.each<[string, Record<string, string>, 'plain' | 'encrypted', Record<string, number>]>([
    ['already encrypted: 1 request', {}, 'encrypted', { HeadObject: 1 }],
    ['single copy with PRESERVE_ACL=false: 2 requests', { PRESERVE_ACL: 'false' }, 'plain', { HeadObject: 1, CopyObject: 1 }],
    ['single copy with the ACL read: 3 requests', {}, 'plain', { HeadObject: 1, GetObjectACL: 1, CopyObject: 1 }],
  ])('%s', async (_name, env, state, expected) => {
    const h = await startHarness(env);
    try {
      const obj = await upload(h.client, 'eco/a.txt', Buffer.from('economy'), state === 'encrypted' ? { headers: { 'x-oss-server-side-encryption': 'AES256' } } : {});
      h.oss.requestLog.clear();
      const s = await h.handler.handler(ossEvent([obj]), h.context());
      const counts = h.oss.requestLog.counts({ bucket: BUCKET, key: obj.key });
      expect(counts).toEqual(expected);
      expect(s.results[0]!.requestIds).toHaveLength(total(expected));
    } finally {
      await h.close();
    }
  });

  it('PRESERVE_ACL=false keeps no object ACL (documented trade-off for buckets without object ACLs)', async () => {
    const h = await startHarness({ PRESERVE_ACL: 'false' });
    try {
      const obj = await upload(h.client, 'eco/acl', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'private' } });
      await h.handler.handler(ossEvent([obj]), h.context());
      expect((await h.client.getACL(obj.key)).acl).toBe('default');
    } finally {
      await h.close();
    }
  });
});

describe('retries', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ RETRY_MAX_ATTEMPTS: '8' });
  });
  afterEach(() => h.close());

  it.each(['http503', 'http500', 'drop'] as const)('recovers from injected %s on HEAD and CopyObject', async (kind) => {
    const objs = await Promise.all(['r/1', 'r/2', 'r/3', 'r/4'].map((k) => upload(h.client, k, Buffer.from(k), { meta: { k } })));
    h.oss.requestLog.clear();
    h.oss.faults.set(
      [
        { op: 'HeadObject', rate: 0.5, kind },
        { op: 'CopyObject', rate: 0.5, kind },
      ],
      42,
    );
    const s = await h.handler.handler(ossEvent(objs), h.context());
    h.oss.faults.clear();
    expect(s).toMatchObject({ total: 4, encrypted: 4, failed: 0 });
    const faulted = h.oss.requestLog.entries().filter((e) => e.fault === kind);
    expect(faulted.length).toBeGreaterThan(0);
    for (const o of objs) {
      const after = await headers(h.client, o.key);
      expect(after['x-oss-server-side-encryption']).toBe('AES256');
      expect(after['x-oss-meta-k']).toBe(o.key);
    }
    expect(h.logs.lines().some((l) => l.msg === 'retrying CopyObject' || l.msg === 'retrying HeadObject')).toBe(true);
  });

  it('fails the invocation after bounded attempts when the outage persists, and a later retry succeeds', async () => {
    const obj = await upload(h.client, 'r/outage', Buffer.from('x'));
    h.oss.requestLog.clear();
    h.oss.faults.set([{ op: 'CopyObject', rate: 1, kind: 'http503' }]);
    const err = await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationFailedError);
    expect((err as InvocationFailedError).message).toMatch(/r\/outage \(OSS_ServiceUnavailable\)/);
    expect(h.oss.requestLog.counts({ key: obj.key }).CopyObject).toBe(8);
    h.oss.faults.clear();
    const retry = await h.handler.handler(ossEvent([obj]), h.context());
    expect(retry.results[0]).toMatchObject({ outcome: 'encrypted' });
  });
});

describe('permanent errors are reported, not retried', () => {
  it('a disabled KMS key fails the object with its code after one CopyObject', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: CMK, RETRY_MAX_ATTEMPTS: '5' });
    try {
      h.oss.kms.setKeyState(CMK, 'Disabled');
      const ok = await upload(h.client, 'kms/ok-later', Buffer.from('a'));
      h.oss.requestLog.clear();
      const err = (await h.handler.handler(ossEvent([ok]), h.context()).catch((e: unknown) => e)) as InvocationFailedError;
      expect(err).toBeInstanceOf(InvocationFailedError);
      expect(err.code).toBe('OBJECTS_FAILED');
      const r = err.summary.results[0]!;
      expect(r).toMatchObject({ outcome: 'failed', reason: 'OSS_KeyDisabled', algorithm: 'KMS', kmsKeyId: CMK, method: 'copy' });
      expect(r.error!.message).toMatch(/enable the KMS key/);
      expect(h.oss.requestLog.counts({ key: ok.key }).CopyObject).toBe(1);
      expect((await headers(h.client, ok.key))['x-oss-server-side-encryption']).toBeUndefined();
      const line = h.logs.lines().find((l) => l.outcome === 'failed');
      expect(line).toMatchObject({ level: 'error', key: ok.key, error: { code: 'OSS_KeyDisabled' } });
    } finally {
      await h.close();
    }
  });

  it('an unknown KMS key fails with KeyNotFound', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'no-such-key' });
    try {
      const obj = await upload(h.client, 'kms/unknown', Buffer.from('a'));
      const err = (await h.handler.handler(ossEvent([obj]), h.context()).catch((e: unknown) => e)) as InvocationFailedError;
      expect(err.summary.results[0]).toMatchObject({ outcome: 'failed', reason: 'OSS_KeyNotFound' });
    } finally {
      await h.close();
    }
  });

  it('one failing object does not stop the others', async () => {
    const h = await startHarness({ SSE_RULES: JSON.stringify([{ prefix: 'bad/', algorithm: 'KMS', kmsKeyId: 'no-such-key' }]) });
    try {
      const objs = await Promise.all(['bad/a', 'good/b'].map((k) => upload(h.client, k, Buffer.from(k))));
      const err = (await h.handler.handler(ossEvent(objs), h.context()).catch((e: unknown) => e)) as InvocationFailedError;
      expect(err.summary).toMatchObject({ total: 2, encrypted: 1, failed: 1 });
      expect((await headers(h.client, 'good/b'))['x-oss-server-side-encryption']).toBe('AES256');
    } finally {
      await h.close();
    }
  });
});

describe('malformed events and bad configuration', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it.each<[string, Buffer, RegExp]>([
    ['not JSON', Buffer.from('not json'), /not JSON/],
    ['no events', Buffer.from('{"records":[]}'), /neither "events"/],
    ['missing bucket', Buffer.from('{"events":[{"oss":{"bucket":{},"object":{"key":"k"}}}]}'), /missing oss\.bucket\.name/],
    ['missing key', Buffer.from('{"events":[{"oss":{"bucket":{"name":"b"},"object":{}}}]}'), /missing oss\.object\.key/],
    ['unknown shape', Buffer.from('[1,2]'), /event\[0\] is number/],
  ])('%s → EventError, no OSS request', async (_name, event, message) => {
    h.oss.requestLog.clear();
    const err = await h.handler.handler(event, h.context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventError);
    expect((err as EventError).message).toMatch(message);
    expect(h.oss.requestLog.entries()).toHaveLength(0);
    expect(h.logs.lines().at(-1)).toMatchObject({ level: 'error', msg: 'invocation failed: malformed event' });
  });

  it('a bad env var fails at start, naming the variable', () => {
    expect(() => createHandler({ env: { SSE_ALGORITHM: 'AES128', SSE_ON_MISMATCH: 'sometimes' } })).toThrow(ConfigError);
    expect(() => createHandler({ env: { SSE_ALGORITHM: 'AES128' } })).toThrow(/SSE_ALGORITHM="AES128" is not valid; accepted values: AES256 \| KMS \| SM4/);
  });

  it('no credentials → a clear error naming the fix', async () => {
    const noCreds = createHandler({ env: { OSS_ENDPOINT: h.oss.endpoint }, logger: h.logs.logger });
    const obj = await upload(h.client, 'creds/a', Buffer.from('a'));
    await expect(noCreds.handler(ossEvent([obj]), { requestId: 'r', region: h.oss.region })).rejects.toMatchObject({ code: 'CREDENTIALS_MISSING' });
  });
});
