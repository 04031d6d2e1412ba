import OSS from 'ali-oss';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log';
import { startLocalTrigger, type InvocationInfo, type LocalTrigger } from '../../src/local-run/trigger';

const quiet = () => createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function clientFor(t: LocalTrigger): OSS {
  return new OSS({ endpoint: t.endpoint, region: `oss-${t.region}`, accessKeyId: t.accessKeyId, accessKeySecret: t.accessKeySecret, bucket: t.bucket });
}

describe('local trigger: uploads through ali-oss get encrypted like under an FC OSS trigger', () => {
  let trigger: LocalTrigger;
  const seen: InvocationInfo[] = [];
  beforeAll(async () => {
    trigger = await startLocalTrigger({ bucket: 'uploads-bucket', env: { SSE_ALGORITHM: 'AES256' }, logger: quiet(), onInvocation: (i) => seen.push(i) });
  });
  afterAll(() => trigger.close());
  beforeEach(() => { seen.length = 0; });

  test('PutObject → one invocation → object encrypted with metadata intact; our own copy does not re-trigger', async () => {
    const client = clientFor(trigger);
    await client.put('in/报告 1+1.csv', Buffer.from('a,b\n1,2\n'), {
      headers: { 'Content-Type': 'text/csv', 'Cache-Control': 'no-cache', 'x-oss-meta-team': 'data', 'x-oss-tagging': 'env=dev' },
    });
    await trigger.idle();
    expect(seen).toHaveLength(1); // CopyObject is not in the default trigger events
    expect(seen[0]).toMatchObject({ attempt: 1, eventNames: ['ObjectCreated:PutObject'], keys: ['in/报告 1+1.csv'], summary: { encrypted: 1 } });
    expect(seen[0]!.requestId).toMatch(/^1-[0-9a-f]{8}-/);
    const head = await client.head('in/报告 1+1.csv');
    const h = head.res.headers as Record<string, string>;
    expect(h['x-oss-server-side-encryption']).toBe('AES256');
    expect(h['content-type']).toBe('text/csv');
    expect(h['cache-control']).toBe('no-cache');
    expect(h['x-oss-meta-team']).toBe('data');
    expect((await client.get('in/报告 1+1.csv')).content.toString()).toBe('a,b\n1,2\n');
  });

  test('multipart upload (CompleteMultipartUpload) is encrypted too', async () => {
    const client = clientFor(trigger);
    const body = Buffer.alloc(250 * 1024, 7);
    await client.multipartUpload('big/blob.bin', body, { partSize: 100 * 1024 });
    await trigger.idle();
    expect(seen.map((s) => s.eventNames[0])).toEqual(['ObjectCreated:CompleteMultipartUpload']);
    expect((await client.head('big/blob.bin')).res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256' });
  });
});

describe('local trigger: filters, retries, opt-in CopyObject', () => {
  test('prefix filter: keys outside it are not handed to the function', async () => {
    const seen: InvocationInfo[] = [];
    const t = await startLocalTrigger({ bucket: 'bucket-one', prefix: 'watched/', env: {}, logger: quiet(), onInvocation: (i) => seen.push(i) });
    try {
      const c = clientFor(t);
      await c.put('other/x.txt', Buffer.from('x'));
      await c.put('watched/y.txt', Buffer.from('y'));
      await t.idle();
      expect(seen.flatMap((s) => s.keys)).toEqual(['watched/y.txt']);
      expect((await c.head('other/x.txt')).res.headers).not.toHaveProperty('x-oss-server-side-encryption');
    } finally { await t.close(); }
  });

  test('a failing invocation is retried with the same request id, then given up', async () => {
    const seen: InvocationInfo[] = [];
    const t = await startLocalTrigger({ bucket: 'bucket-two', env: { ALLOWED_BUCKETS: 'somewhere-else' }, logger: quiet(), maxAttempts: 3, retryDelayMs: 1, onInvocation: (i) => seen.push(i) });
    try {
      await clientFor(t).put('k.txt', Buffer.from('k'));
      await t.idle();
      expect(seen.map((s) => [s.attempt, s.willRetry, s.error?.code])).toEqual([[1, true, 'OBJECTS_FAILED'], [2, true, 'OBJECTS_FAILED'], [3, false, 'OBJECTS_FAILED']]);
      expect(new Set(seen.map((s) => s.requestId)).size).toBe(1);
      expect(seen[0]!.summary?.results[0]).toMatchObject({ outcome: 'failed', error: { code: 'BUCKET_NOT_ALLOWED' } });
    } finally { await t.close(); }
  });

  test('opting in to CopyObject shows the echo and its skip', async () => {
    const seen: InvocationInfo[] = [];
    const t = await startLocalTrigger({ bucket: 'bucket-three', events: ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:CopyObject'], env: {}, logger: quiet(), onInvocation: (i) => seen.push(i) });
    try {
      await clientFor(t).put('loop.txt', Buffer.from('l'));
      await t.idle();
      expect(seen.map((s) => [s.eventNames[0], s.summary?.results[0]?.outcome, s.summary?.results[0]?.reason])).toEqual([
        ['ObjectCreated:PutObject', 'encrypted', 'unencrypted'],
        ['ObjectCreated:CopyObject', 'skipped', 'already-encrypted'],
      ]);
    } finally { await t.close(); }
  });
});
