/**
 * The gateway's stop (GatewayOptions.signal), against a local HTTP server that holds each request until the test
 * answers it: no sleeps, the order of events decides. After the abort a request that gets its answer still
 * succeeds (a responsive OSS finishes the objects in flight); a request left unanswered for stallWarningMs is cut;
 * a retry wait ends at once; later calls fail at once, except AbortMultipartUpload (cleanup goes out once).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createOssGateway } from '../../src/oss/gateway';
import { OssOperationError } from '../../src/errors';

interface Held { req: IncomingMessage; res: ServerResponse; socketClosed: boolean }

describe('gateway stop (signal)', () => {
  let server: Server;
  let endpoint: string;
  const held: Held[] = [];
  let arrived: () => void = () => undefined;
  const nextRequest = () => new Promise<void>((r) => { arrived = r; });
  let answer503 = false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (answer503) {
        res.writeHead(503, { 'content-type': 'application/xml', 'x-oss-request-id': 'BUSY00000000000000000000' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>');
        arrived();
        return;
      }
      const h: Held = { req, res, socketClosed: false };
      req.socket.on('close', () => { h.socketClosed = true; });
      held.push(h);
      arrived();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  beforeEach(() => { held.length = 0; answer503 = false; });

  const gateway = (signal: AbortSignal, stallWarningMs: number, extra: Partial<Parameters<typeof createOssGateway>[0]> = {}) =>
    createOssGateway({ region: 'cn-hangzhou', endpoint, credentials: { accessKeyId: 'LTAIabort', accessKeySecret: 'abort-secret' }, signal, stallWarningMs, ...extra });
  const answerHead = (h: Held) => {
    h.res.writeHead(200, { etag: '"0CC175B9C0F1B6A831C399E269772661"', 'content-length': '1', 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT', 'x-oss-request-id': 'HEAD00000000000000000000' });
    h.res.end();
  };

  it('a request answered after the abort still succeeds', async () => {
    const ac = new AbortController();
    const gw = gateway(ac.signal, 60_000);
    const came = nextRequest();
    const head = gw.head('bkt', 'k');
    await came;
    ac.abort();
    answerHead(held[0]!);
    await expect(head).resolves.toMatchObject({ requestId: 'HEAD00000000000000000000', head: { size: 1 } });
  });

  it('a request unanswered for stallWarningMs after the abort is cut (socket closed), named Aborted; later calls fail at once', async () => {
    const ac = new AbortController();
    const gw = gateway(ac.signal, 50);
    const came = nextRequest();
    const head = gw.head('bkt', 'k').catch((e: unknown) => e);
    await came;
    ac.abort();
    const err = await head;
    expect(err).toBeInstanceOf(OssOperationError);
    expect(err).toMatchObject({ operation: 'HeadObject', ossCode: 'Aborted', retryable: false });
    await new Promise<void>((r) => (held[0]!.socketClosed ? r() : held[0]!.req.socket.once('close', () => r())));
    expect(held).toHaveLength(1); // not retried
    await expect(gw.head('bkt', 'other')).rejects.toMatchObject({ ossCode: 'Aborted' });
    expect(held).toHaveLength(1); // refused without a request
    // Cleanup still goes out, once.
    const came2 = nextRequest();
    const abortUpload = gw.abort('bkt', 'k', 'upload-1').catch((e: unknown) => e);
    await came2;
    expect(held[1]!.req.method).toBe('DELETE');
    expect(held[1]!.req.url).toContain('uploadId=upload-1');
    held[1]!.res.writeHead(204, { 'x-oss-request-id': 'ABRT00000000000000000000' });
    held[1]!.res.end();
    await expect(abortUpload).resolves.toMatchObject({ requestId: 'ABRT00000000000000000000' });
  });

  it('a retry wait ends on the abort: no further attempt', async () => {
    answer503 = true;
    const ac = new AbortController();
    let attempts = 0;
    const gw = gateway(ac.signal, 60_000, { retry: { maxAttempts: 4, baseDelayMs: 600_000, maxDelayMs: 600_000, random: () => 1 }, onRetry: () => { attempts++; } });
    const came = nextRequest();
    const head = gw.head('bkt', 'k').catch((e: unknown) => e);
    await came;
    while (attempts === 0) await new Promise((r) => setImmediate(r)); // in the 10-minute wait now
    ac.abort();
    expect(await head).toMatchObject({ ossCode: 'Aborted', retryable: false });
    expect(attempts).toBe(1);
  });
});
