/**
 * Event notifications (callback and HTTP, async, at least once, retried), seeded fault injection, latency and the
 * request log, all driven through the real ali-oss client.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

type Headers = Record<string, string>;
type OssEvent = { events: Array<{ eventName: string; region: string; oss: { bucket: { name: string; arn: string }; object: { key: string; size: number; eTag: string; deltaSize: number } }; responseElements: { requestId: string } }> };

let oss: LocalOss;
let c: OssClient;
beforeAll(async () => {
  oss = await startTestOss();
  c = ossClient(oss, 'test-bucket');
});
afterAll(() => oss.close());
afterEach(() => { oss.faults.clear(); oss.setLatency(0); });

describe('notifications', () => {
  it('delivers the OSS trigger JSON for matching events only, after the response', async () => {
    const got: OssEvent[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const off = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectCreated:*'], prefix: 'in/', suffix: '.jpg' }, async (e) => {
      await gate; // if delivery were synchronous, the PUT below would never complete
      got.push(e as OssEvent);
    });
    const put = await c.put('in/图 1.jpg', Buffer.from('jpeg'));
    await c.put('in/skip.png', Buffer.from('png'));
    await c.put('out/skip.jpg', Buffer.from('jpg'));
    release();
    await oss.notifications.idle();
    off();
    expect(got).toHaveLength(1);
    const ev = got[0]!.events[0]!;
    expect(ev).toMatchObject({
      eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventVersion: '1.0', region: 'cn-hangzhou',
      oss: {
        bucket: { name: 'test-bucket', arn: `acs:oss:cn-hangzhou:${oss.accountId}:test-bucket`, ownerIdentity: oss.accountId },
        object: { key: 'in/图 1.jpg', size: 4, deltaSize: 4, eTag: createHash('md5').update('jpeg').digest('hex').toUpperCase() },
        ossSchemaVersion: '1.0',
      },
      responseElements: { requestId: (put.res.headers as Headers)['x-oss-request-id'] },
      userIdentity: { principalId: oss.accountId },
    });
  });

  it('emits CopyObject and DeleteObject events under their own names', async () => {
    const names: string[] = [];
    const off = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectCreated:CopyObject', 'oss:ObjectRemoved:DeleteObject'], prefix: 'ev/' },
      async (e) => { names.push((e as OssEvent).events[0]!.eventName); });
    await c.put('ev/a', Buffer.from('a'));
    await c.copy('ev/a', 'ev/a', { headers: { 'x-oss-server-side-encryption': 'AES256' } } as unknown as OSS.CopyObjectOptions);
    await c.delete('ev/a');
    await c.put('ev/b', Buffer.from('b'));
    await c.deleteMulti(['ev/b']);
    await oss.notifications.idle();
    off();
    expect(names).toEqual(['ObjectCreated:CopyObject', 'ObjectRemoved:DeleteObject']);
    const all: string[] = [];
    const off2 = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectRemoved:*'], prefix: 'ev/' }, async (e) => { all.push((e as OssEvent).events[0]!.eventName); });
    await c.put('ev/c', Buffer.from('c'));
    await c.deleteMulti(['ev/c']);
    await oss.notifications.idle();
    off2();
    expect(all).toEqual(['ObjectRemoved:DeleteObjects']);
  });

  it('retries a failing callback until it succeeds (at least once)', async () => {
    let calls = 0;
    const off = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectCreated:PutObject'], prefix: 'retry/' }, async () => {
      calls++;
      if (calls < 3) throw new Error('subscriber down');
    }, { maxAttempts: 3, retryDelayMs: 1 });
    await c.put('retry/x', Buffer.from('x'));
    await oss.notifications.idle();
    off();
    expect(calls).toBe(3);
  });

  it('gives up after maxAttempts', async () => {
    let calls = 0;
    const off = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectCreated:PutObject'], prefix: 'giveup/' },
      async () => { calls++; throw new Error('always down'); }, { maxAttempts: 2, retryDelayMs: 1 });
    await c.put('giveup/x', Buffer.from('x'));
    await oss.notifications.idle();
    off();
    expect(calls).toBe(2);
    expect(oss.notifications.failures().at(-1)).toMatchObject({ eventName: 'ObjectCreated:PutObject', key: 'giveup/x', attempts: 2, error: 'always down' });
  });

  it('POSTs to an HTTP endpoint and retries on a non-2xx answer', async () => {
    const bodies: OssEvent[] = [];
    let hits = 0;
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        hits++;
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OssEvent);
        res.statusCode = hits === 1 ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
      const off = oss.notifications.subscribe('test-bucket', { events: ['oss:ObjectCreated:*'], prefix: 'http/' }, { url }, { retryDelayMs: 1 });
      await c.put('http/obj', Buffer.from('x'));
      await oss.notifications.idle();
      off();
      expect(hits).toBe(2);
      expect(bodies[1]!.events[0]!.oss.object.key).toBe('http/obj');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses unknown buckets and event names', () => {
    expect(() => oss.notifications.subscribe('nope', { events: ['oss:ObjectCreated:*'] }, async () => {})).toThrow(/does not exist/);
    expect(() => oss.notifications.subscribe('test-bucket', { events: ['ObjectMade'] }, async () => {})).toThrow(/unknown notification event/);
  });
});

describe('faults, latency and the request log', () => {
  it('injects 503s for one operation only, and logs them', async () => {
    await c.put('f/a', Buffer.from('a'));
    oss.faults.set([{ op: 'GetObject', rate: 1, kind: 'http503' }]);
    await expect(c.get('f/a')).rejects.toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    await c.put('f/b', Buffer.from('b'));
    expect(oss.requestLog.entries().filter((e) => e.key === 'f/a' && e.op === 'GetObject').at(-1)).toMatchObject({ status: 503, fault: 'http503' });
  });

  it('injects 500s and dropped connections', async () => {
    oss.faults.set([{ op: 'HeadObject', rate: 1, kind: 'http500' }, { op: 'GetObject', rate: 1, kind: 'drop' }]);
    await expect(c.head('f/a')).rejects.toMatchObject({ status: 500 });
    const err = await c.get('f/a').catch((e: { status: number; name: string }) => e);
    expect((err as { status: number }).status).toBe(-1);
  });

  it('replays the same fault pattern for the same seed', async () => {
    const pattern = async () => {
      oss.faults.set([{ op: 'HeadObject', rate: 0.5, kind: 'http503' }], 42);
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push(await c.head('f/a').then(() => 200, (e: { status: number }) => e.status));
      return out;
    };
    const first = await pattern();
    expect(first).toContain(200);
    expect(first).toContain(503);
    expect(await pattern()).toEqual(first);
  });

  it('slow faults and latency delay but do not fail requests', async () => {
    oss.faults.set([{ op: 'GetObject', rate: 1, kind: 'slow', delayMs: 20 }]);
    oss.setLatency(5);
    expect((await c.get('f/a')).content.toString()).toBe('a');
    expect(oss.requestLog.entries().at(-1)).toMatchObject({ op: 'GetObject', status: 200, fault: 'slow' });
    expect(() => oss.faults.set([{ op: '*', rate: 2, kind: 'http500' }])).toThrow(/0\.\.1/);
  });

  it('counts requests per operation, per key', async () => {
    oss.requestLog.clear();
    await c.put('count/x', Buffer.from('x'));
    await c.head('count/x');
    await c.head('count/x');
    await c.get('count/y').catch(() => undefined);
    expect(oss.requestLog.counts({ key: 'count/x' })).toEqual({ PutObject: 1, HeadObject: 2 });
    expect(oss.requestLog.counts()).toEqual({ PutObject: 1, HeadObject: 2, GetObject: 1 });
    expect(oss.requestLog.entries().at(-1)).toMatchObject({ op: 'GetObject', status: 404, code: 'NoSuchKey', accessKeyId: oss.accessKeyId });
  });
});
