/**
 * Issue #10 item 15: the gateway relies on ali-oss internals (lib/object.js `_objectRequestParams`, lib/client.js
 * `request`, `_escape` and `authorization`, and the latin1 `headerEncoding` encoder in
 * lib/common/utils/createRequest.js). package.json pins ali-oss to the exact version they were read from; this
 * test fails with a clear message when an upgrade changes any of them, before a user's metadata does.
 */
import OSS from 'ali-oss';
import { readFileSync } from 'node:fs';
import { createOssGateway, keepDotSegments, sendByteStrings } from '../../src/oss/gateway';
import { startTestOss } from '../helpers/local-oss';
import { rawOssRequest, headerBytes } from '../helpers/raw-oss';

const PINNED = '6.23.0';

function client(): OSS {
  return new OSS({ region: 'oss-cn-hangzhou', bucket: 'test-bucket', accessKeyId: 'id', accessKeySecret: 'secret', headerEncoding: 'latin1' } as OSS.Options);
}

describe('ali-oss internals the gateway depends on', () => {
  it(`is the pinned version ${PINNED} (re-check every internal below before changing the pin)`, () => {
    const installed = JSON.parse(readFileSync(require.resolve('ali-oss/package.json'), 'utf8')).version;
    const declared = JSON.parse(readFileSync('package.json', 'utf8')).dependencies['ali-oss'];
    expect({ installed, declared }).toEqual({ installed: PINNED, declared: PINNED });
  });

  it.each(['_objectRequestParams', 'request', '_escape', 'authorization'])('has the internal method %s', (name) => {
    const fn = (client() as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new Error(`ali-oss no longer has ${name}(); src/oss/gateway.ts calls it: update the gateway before upgrading ali-oss`);
  });

  it('builds exact-header request params and signs through this.authorization (what sendByteStrings hooks)', () => {
    const c = client() as unknown as {
      _objectRequestParams(m: string, k: string, o: object): { method: string; object: string; headers: Record<string, string>; subres?: unknown };
      authorization: (...args: unknown[]) => string;
    };
    const params = c._objectRequestParams('PUT', 'a b/c', { headers: { 'x-oss-meta-x': 'v' }, subres: { partNumber: '1' } });
    expect(params).toMatchObject({ method: 'PUT', object: 'a b/c', headers: { 'x-oss-meta-x': 'v' }, subres: { partNumber: '1' } });
    expect(c.authorization.length).toBeGreaterThanOrEqual(4);
  });

  it('escapes keys the way keepDotSegments expects', () => {
    const c = client();
    keepDotSegments(c);
    const escape = (c as unknown as { _escape(n: string): string })._escape.bind(c);
    expect(escape('a b/c')).toBe('a%20b/c');
    expect(escape('a/../b')).toBe('a%2F..%2Fb');
  });

  it('sends byte-string header values as exactly those bytes, signed, end to end', async () => {
    const oss = await startTestOss();
    try {
      const gateway = createOssGateway({ region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } });
      const put = await rawOssRequest(oss, { method: 'PUT', bucket: 'test-bucket', key: 'k', body: Buffer.from('x') });
      expect(put.status).toBe(200);
      const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xd5, 0xc5]);
      await gateway.copyInPlace('test-bucket', 'k', { 'x-oss-metadata-directive': 'REPLACE', 'content-type': 'text/plain', 'x-oss-meta-b': bytes.toString('latin1') });
      const head = await rawOssRequest(oss, { method: 'HEAD', bucket: 'test-bucket', key: 'k' });
      expect(headerBytes(head, 'x-oss-meta-b')).toEqual(bytes);
    } finally {
      await oss.close();
    }
  });

  it('without sendByteStrings, ali-oss alone re-encodes such bytes (the reason it exists)', () => {
    const c = client();
    const seen: Record<string, unknown>[] = [];
    const target = c as unknown as { authorization: (...a: unknown[]) => string };
    const orig = target.authorization.bind(c);
    target.authorization = (...a: unknown[]) => { seen.push({ ...(a[3] as Record<string, unknown>) }); return orig(...a); };
    const raw = c as unknown as { _objectRequestParams(m: string, k: string, o: object): object; createRequest?: unknown };
    const { createRequest } = require('ali-oss/lib/common/utils/createRequest') as { createRequest: (this: unknown, p: object) => unknown };
    createRequest.call(c, raw._objectRequestParams('PUT', 'k', { headers: { 'x-oss-meta-b': 'caf\u00e9' } }));
    expect(seen[0]!['x-oss-meta-b']).toBe('caf\u00c3\u00a9');
    sendByteStrings(c);
    createRequest.call(c, raw._objectRequestParams('PUT', 'k', { headers: { 'x-oss-meta-b': 'caf\u00e9' } }));
    expect(seen[1]!['x-oss-meta-b']).toBe('caf\u00e9');
  });
});
