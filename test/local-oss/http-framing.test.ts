/**
 * HTTP framing as real OSS accepts it (issue 11 item 6): a PUT with both `Content-Length` and
 * `Transfer-Encoding: chunked`, which ali-oss sends for `put(stream, { headers: { 'Content-Length': n } })`, is stored
 * by its chunked body; header syntax is still checked as strictly as Node's own parser does.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

let oss: LocalOss;
let c: OssClient;
beforeAll(async () => { oss = await startTestOss(); c = ossClient(oss, 'test-bucket'); });
afterAll(() => oss.close());

/** Sends raw bytes on one connection and collects everything the server answers until it goes quiet or closes. */
function exchange(raw: string, expectResponses: number): Promise<string> {
  const { hostname, port } = new URL(oss.endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw, 'latin1'));
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if ((got.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= expectResponses && /\r\n\r\n[\s\S]*$/.test(got)) {
        // Wait for the body of the last response (Content-Length framed) before closing.
        const last = got.slice(got.lastIndexOf('HTTP/1.1 '));
        const len = Number(/content-length: (\d+)/i.exec(last)?.[1] ?? 0);
        if (last.length - (last.indexOf('\r\n\r\n') + 4) >= len) socket.end();
      }
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe.each([['V1', false], ['V4', true]])('PUT with Content-Length and Transfer-Encoding: chunked (%s)', (_n, v4) => {
  it('stores the object ali-oss streams with an explicit Content-Length', async () => {
    const client = ossClient(oss, 'test-bucket', { v4 });
    const body = Buffer.from('x'.repeat(70_000) + 'end');
    const stream = Readable.from([body.subarray(0, 30_000), body.subarray(30_000)]);
    const put = await client.put(`framing/both-${v4}`, stream, { headers: { 'Content-Length': String(body.length) } } as never);
    expect(put.res.status).toBe(200);
    const got = Buffer.from((await client.get(`framing/both-${v4}`)).content);
    expect(createHash('md5').update(got).digest('hex')).toBe(createHash('md5').update(body).digest('hex'));
  });
});

describe('raw framing', () => {
  it('takes the chunked body when Content-Length disagrees, and keeps the connection usable', async () => {
    // Unsigned on purpose: the framing is decided before authentication; the 403 proves the request was parsed.
    const req = 'PUT /test-bucket/framing/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'
      + 'b\r\nhello world\r\n0\r\n\r\n'
      + 'GET /test-bucket/framing/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    const answer = await exchange(req, 2);
    expect(answer.match(/HTTP\/1\.1 (\d{3})/g)).toEqual(['HTTP/1.1 403', 'HTTP/1.1 403']);
    expect(answer).toContain('<Code>AccessDenied</Code>');
  });

  it('still refuses control characters in a header value and bad header names', async () => {
    const bad = await exchange('GET /test-bucket/k HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Oss-Meta-A: a\x01b\r\nConnection: close\r\n\r\n', 1);
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    const badName = await exchange('GET /test-bucket/k HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\nConnection: close\r\n\r\n', 1);
    expect(badName).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe('what the lenient parser would let through', () => {
  it('refuses an HTTP version other than 1.0 and 1.1 with 400', async () => {
    const answer = await exchange('GET /test-bucket/k HTTP/1.9\r\nHost: 127.0.0.1\r\n\r\n', 1);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('<ArgumentName>HTTP-Version</ArgumentName>');
    // HTTP/1.0 still reaches authentication (unsigned: 403).
    expect(await exchange('GET /test-bucket/k HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n', 1)).toMatch(/^HTTP\/1\.1 403/);
  });

  it.each([
    ['gzip, chunked', '3\r\nabc\r\n0\r\n\r\n'],
    ['identity', 'abc'],
    ['chunked, identity', 'abc'],
  ])('refuses Transfer-Encoding: %s with 400 and closes the connection', async (te, body) => {
    const answer = await exchange(`PUT /test-bucket/framing/te HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: ${te}\r\nContent-Length: 3\r\n\r\n${body}`, 1);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('<Code>NotImplemented</Code>');
    expect(answer.toLowerCase()).toContain('connection: close');
  });
});
