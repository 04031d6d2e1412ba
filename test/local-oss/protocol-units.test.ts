/** Pure protocol helpers: address resolution, routing, XML, ranges, conditions, copy source, pagination, errors. */
import { LOCAL_OSS_DEFAULTS } from '../../src/local-oss';
import { OssError } from '../../src/local-oss/errors';
import { FaultInjector, mulberry32 } from '../../src/local-oss/faults';
import type { ObjectVersion } from '../../src/local-oss/model';
import { checkConditions, metaFromHeaders, parseTaggingHeader } from '../../src/local-oss/ops/common';
import { parseCopySource } from '../../src/local-oss/ops/copy';
import { paginate } from '../../src/local-oss/ops/list';
import { parseRange } from '../../src/local-oss/ops/object';
import { renderError } from '../../src/local-oss/render';
import { route } from '../../src/local-oss/routes';
import { resolveAddress } from '../../src/local-oss/server';
import { compareKeys } from '../../src/local-oss/state';
import { parseXml, xmlDocument, XmlSyntaxError } from '../../src/local-oss/xml';

describe('resolveAddress', () => {
  it.each([
    ['b1.oss-cn-hangzhou.aliyuncs.com', '/a%20b/c%2Bd', { scope: 'object', bucket: 'b1', key: 'a b/c+d' }],
    ['b1.oss-cn-hangzhou.aliyuncs.com', '/', { scope: 'bucket', bucket: 'b1' }],
    ['.oss-cn-hangzhou.aliyuncs.com', '/', { scope: 'service' }],
    ['undefined.oss-cn-hangzhou.aliyuncs.com', '/', { scope: 'service' }],
    ['oss-cn-hangzhou.aliyuncs.com', '/b2/k', { scope: 'object', bucket: 'b2', key: 'k' }],
    ['127.0.0.1:9000', '/b2/%E4%B8%AD/x', { scope: 'object', bucket: 'b2', key: '中/x' }],
    ['localhost:9000', '/b2', { scope: 'bucket', bucket: 'b2' }],
    ['b3.localhost:9000', '/k', { scope: 'object', bucket: 'b3', key: 'k' }],
  ])('%s %s', (host, path, expected) => {
    expect(resolveAddress(host, path)).toEqual(expected);
  });

  it('rejects broken percent-encoding', () => {
    expect(() => resolveAddress('b.oss-cn-hangzhou.aliyuncs.com', '/%E4%ZZ')).toThrow(OssError);
  });
});

describe('route', () => {
  const q = (s: string) => new URLSearchParams(s);
  it.each([
    ['object', 'PUT', '', {}, 'PutObject'],
    ['object', 'PUT', '', { 'x-oss-copy-source': '/b/k' }, 'CopyObject'],
    ['object', 'PUT', 'partNumber=1&uploadId=U', {}, 'UploadPart'],
    ['object', 'PUT', 'partNumber=1&uploadId=U', { 'x-oss-copy-source': '/b/k' }, 'UploadPartCopy'],
    ['object', 'HEAD', 'objectMeta', {}, 'GetObjectMeta'],
    ['object', 'POST', 'append&position=0', {}, 'AppendObject'],
    ['bucket', 'GET', 'list-type=2&prefix=', {}, 'ListObjectsV2'],
    ['bucket', 'GET', 'versions', {}, 'ListObjectVersions'],
    ['service', 'GET', '', {}, 'ListBuckets'],
  ] as const)('%s %s ?%s → %s', (scope, method, query, headers, op) => {
    expect(route(scope, method, q(query), headers).op).toBe(op);
  });

  it('answers unsupported subresources with NotImplemented and unknown combinations with MethodNotAllowed', () => {
    const cors = route('bucket', 'PUT', q('cors'), {});
    expect('error' in cors && cors.error.code).toBe('NotImplemented');
    const post = route('object', 'POST', q(''), {});
    expect('error' in post && post.error.code).toBe('MethodNotAllowed');
  });
});

describe('xml', () => {
  it('round-trips escaped text and repeated elements', () => {
    const doc = xmlDocument('Root', { A: 'x<&>"\'', B: [{ C: 1 }, { C: 2 }], Skip: undefined });
    expect(doc).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Root><A>x&lt;&amp;&gt;&quot;&apos;</A><B><C>1</C></B><B><C>2</C></B></Root>');
    const root = parseXml(doc);
    expect(root.children.map((c) => c.name)).toEqual(['A', 'B', 'B']);
    expect(root.children[0]!.text).toBe('x<&>"\'');
  });

  it.each(['<A><B></A>', '<A>', 'text', '<A/><B/>', '<A></A>junk'])('rejects %p', (bad) => {
    expect(() => parseXml(bad)).toThrow(XmlSyntaxError);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=2-100', 10, { start: 2, end: 9 }],
    ['bytes=-4', 10, { start: 6, end: 9 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=5-2', 10, undefined],
    ['items=1-2', 10, undefined],
    [undefined, 10, undefined],
  ])('%p of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
  it('throws InvalidRange past the end', () => {
    expect(() => parseRange('bytes=10-12', 10)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
  });
});

describe('parseCopySource', () => {
  it('decodes the key and the versionId', () => {
    expect(parseCopySource('/b/a%2Fb%20c%2B%25?versionId=V1')).toEqual({ bucket: 'b', key: 'a/b c+%', versionId: 'V1' });
    expect(parseCopySource('b/k')).toEqual({ bucket: 'b', key: 'k' });
  });
  it.each(['', '/b', '/b/', '/onlybucket'])('rejects %p', (bad) => {
    expect(() => parseCopySource(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('checkConditions', () => {
  const v = { etag: 'ABC', lastModified: Date.parse('2026-01-01T00:00:00Z') } as ObjectVersion;
  it('412 on If-Match mismatch with the Condition element, 304 on If-None-Match match', () => {
    expect(() => checkConditions({ 'if-match': '"XYZ"' }, v)).toThrow(expect.objectContaining({ code: 'PreconditionFailed', details: { Condition: 'If-Match' } }));
    expect(checkConditions({ 'if-none-match': '"abc"' }, v)).toBe(304);
    expect(checkConditions({ 'x-oss-copy-source-if-match': '"ABC"' }, v, 'x-oss-copy-source-')).toBeUndefined();
    expect(() => checkConditions({ 'x-oss-copy-source-if-unmodified-since': 'Wed, 31 Dec 2025 00:00:00 GMT' }, v, 'x-oss-copy-source-'))
      .toThrow(expect.objectContaining({ details: { Condition: 'If-Unmodified-Since' } }));
    expect(checkConditions({ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }, v)).toBe(304);
  });
});

describe('tagging header', () => {
  it('decodes K=V pairs and refuses duplicates', () => {
    expect(parseTaggingHeader('a%20b=c%26d&e=')).toEqual([['a b', 'c&d'], ['e', '']]);
    expect(() => parseTaggingHeader('a=1&a=2')).toThrow(/appears twice/);
  });
});

describe('paginate', () => {
  const entries = ['a/1', 'a/2', 'b', 'c/x/1', 'd'].map((k) => [k, k] as [string, string]);
  it('folds common prefixes and pages by marker', () => {
    const p1 = paginate(entries, { prefix: '', delimiter: '/', marker: '', maxKeys: 2 });
    expect(p1.items.map((i) => i.name)).toEqual(['a/', 'b']);
    expect(p1).toMatchObject({ truncated: true, next: 'b' });
    const p2 = paginate(entries, { prefix: '', delimiter: '/', marker: 'a/', maxKeys: 10 });
    expect(p2.items.map((i) => i.name)).toEqual(['b', 'c/', 'd']);
    expect(p2.truncated).toBe(false);
  });
  it('orders keys by UTF-8 bytes, not UTF-16 units', () => {
    expect(compareKeys('\uFF61', '\u{1F600}')).toBeLessThan(0);
    const alphabet = ['a', 'z', '/', '中', '\uE000', '\uFFFF', '\u{1F600}', '\u{10000}', '\u00E9', ' '];
    const random = mulberry32(5);
    const word = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const a = word(); const b = word();
      expect([a, b, Math.sign(compareKeys(a, b))]).toEqual([a, b, Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))]);
    }
  });
});

describe('renderError', () => {
  it('renders XML for GET and base64 x-oss-err with an empty body for HEAD', () => {
    const err = new OssError('NoSuchKey', undefined, { Key: 'k' });
    const get = renderError(err, { requestId: 'RID', method: 'GET', bucket: 'b', region: 'cn-hangzhou' });
    expect(get.body).toContain('<Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>RID</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId><Key>k</Key><EC>0026-00000001</EC>');
    expect(get.headers['x-oss-ec']).toBe('0026-00000001');
    const head = renderError(err, { requestId: 'RID', method: 'HEAD', bucket: 'b', region: 'cn-hangzhou' });
    expect(head.body).toBe('');
    expect(Buffer.from(head.headers['x-oss-err']!, 'base64').toString('utf8')).toBe(get.body);
  });

  it('repeats the next append position in a header', () => {
    const out = renderError(new OssError('PositionNotEqualToLength', undefined, { NextAppendPosition: '7' }), { requestId: 'R', method: 'POST', region: 'cn-hangzhou' });
    expect(out.status).toBe(409);
    expect(out.headers['x-oss-next-append-position']).toBe('7');
    expect(out.body).toContain('<NextAppendPosition>7</NextAppendPosition>');
  });
});

describe('faults', () => {
  it('draws the same sequence for the same seed and respects op filters', () => {
    const a = mulberry32(9); const b = mulberry32(9);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    const f = new FaultInjector();
    f.set([{ op: 'CopyObject', rate: 1, kind: 'http500' }]);
    expect(f.pick('HeadObject')).toBeUndefined();
    expect(f.pick('CopyObject')).toMatchObject({ kind: 'http500' });
    expect(() => f.set([{ op: '*', rate: 1, kind: 'boom' as 'drop' }])).toThrow(/unknown fault kind/);
  });
});

describe('metaFromHeaders', () => {
  it('keeps hostile user-metadata names as plain data', () => {
    const m = metaFromHeaders({ 'x-oss-meta-__proto__': 'p', 'x-oss-meta-constructor': 'c', 'content-type': 'text/plain' });
    expect(Object.entries(m.userMeta)).toEqual([['__proto__', 'p'], ['constructor', 'c']]);
    expect(Object.getPrototypeOf(m.userMeta)).toBe(Object.prototype);
    expect(metaFromHeaders({}).contentType).toBe('application/octet-stream');
  });
});

describe('defaults', () => {
  test('a CopyObject that changes encryption or class is limited to 10^9 bytes, the stricter reading of "1 GB" (oss-evidence.md §10)', () => {
    expect(LOCAL_OSS_DEFAULTS.copyChangeLimitBytes).toBe(1_000_000_000);
  });
});
