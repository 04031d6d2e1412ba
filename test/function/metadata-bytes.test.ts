/**
 * Issue #10 item 1 and 13: every metadata header value survives the rewrite byte for byte, whatever its bytes
 * (latin1 "café" `63 61 66 e9` as ali-oss's default mode, Python's http.client or a GBK browser form send it; GBK
 * `d5 c5 c8 fd`; UTF-8; bytes that are valid in no charset), on the copy and on the multipart path, and a standard
 * header present with an empty value stays present. Objects are seeded with a raw signed request (ali-oss
 * re-encodes header values) and compared through raw HEADs, byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { startHarness, ossEvent, BUCKET, type Harness } from './harness';
import { rawOssRequest, headerBytes } from '../helpers/raw-oss';

const LATIN1_CAFE = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
const GBK_ZHANG_SAN = Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]);
const UTF8_ZHANG_SAN = Buffer.from('张三', 'utf8');
const NO_CHARSET = Buffer.from([0x80, 0xff, 0xfe, 0x20, 0xc3]);
const DISPOSITION = Buffer.concat([Buffer.from('attachment; filename="'), GBK_ZHANG_SAN, Buffer.from('.txt"')]);

const seeded = {
  'x-oss-meta-name': LATIN1_CAFE,
  'x-oss-meta-gbk': GBK_ZHANG_SAN,
  'x-oss-meta-utf8': UTF8_ZHANG_SAN,
  'x-oss-meta-raw': NO_CHARSET,
  'content-disposition': DISPOSITION,
  'content-type': Buffer.from('text/plain; charset=gbk'),
  'cache-control': Buffer.alloc(0),
  'content-language': Buffer.alloc(0),
};

describe.each([
  ['copy', 4096],
  ['multipart', 250 * 1024],
])('metadata bytes on the %s path', (method, size) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ MULTIPART_THRESHOLD_BYTES: String(200 * 1024), MULTIPART_PART_BYTES: String(100 * 1024) });
  });
  afterAll(() => h.close());

  it('round-trip byte for byte, empty standard headers included', async () => {
    const key = `bytes/${method}.txt`;
    const body = randomBytes(size);
    const put = await rawOssRequest(h.oss, { method: 'PUT', bucket: BUCKET, key, headers: seeded, body });
    expect([put.status, put.body.toString()]).toEqual([200, ""]);
    const before = await rawOssRequest(h.oss, { method: 'HEAD', bucket: BUCKET, key });
    // The seed is stored as sent (else this test would prove nothing about the function).
    for (const [name, bytes] of Object.entries(seeded)) expect([name, headerBytes(before, name)]).toEqual([name, bytes]);

    const summary = await h.handler.handler(ossEvent([{ key }]), h.context());
    expect(summary.results[0]).toMatchObject({ outcome: 'encrypted', method });

    const after = await rawOssRequest(h.oss, { method: 'HEAD', bucket: BUCKET, key });
    expect(after.headers['x-oss-server-side-encryption']).toBe('AES256');
    for (const name of Object.keys(seeded)) expect([name, headerBytes(after, name)]).toEqual([name, headerBytes(before, name)]);
    const got = await rawOssRequest(h.oss, { method: 'GET', bucket: BUCKET, key });
    expect(got.body.equals(body)).toBe(true);
  });
});
