/**
 * Hostile object state: whoever uploads an object controls its metadata and tags, which the function reads
 * back and re-sends on the copy. Awkward values (tag keys/values with & = + % and spaces, metadata with
 * quotes, semicolons, percent signs and non-ASCII, odd Content-Disposition/Expires) must survive the
 * encryption byte for byte on both the single-copy and the multipart path, and never turn into other headers.
 */
import { ossEvent, snapshot, startHarness, upload, type Harness } from '../function/harness';
import { keepDotSegments } from '../../src/oss/gateway';

const TAGS = { 'a&b': 'c=d+e%f', 'key with space': 'value/with/slash', 'ü-tag': '值' };
const HEADERS = {
  'Content-Type': 'text/plain; charset="utf-8"; x-oss-object-acl=public-read',
  'Content-Disposition': 'attachment; filename="a;b=c.txt"; filename*=UTF-8\'\'%E6%96%87%E4%BB%B6.txt',
  'Cache-Control': 'no-cache, no-store, max-age=0, x-oss-storage-class=Archive',
  Expires: 'not a date, on purpose',
  'Content-Language': 'zh-CN, en;q=0.5',
  'x-oss-object-acl': 'private',
};
const META = { note: '100% "quoted"; x-oss-object-acl: public-read', empty: '', percent: '%0D%0A' };

async function encryptAndCompare(h: Harness, key: string, size: number) {
  const tagging = Object.entries(TAGS)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const obj = await upload(h.client, key, Buffer.alloc(size, 3), { headers: { ...HEADERS, 'x-oss-tagging': tagging }, meta: META });
  const before = await snapshot(h.client, key);
  expect(before.tags).toEqual(TAGS);
  const summary = await h.handler.handler(ossEvent([obj]), h.context());
  expect(summary.results[0]).toMatchObject({ outcome: 'encrypted' });
  const after = await snapshot(h.client, key);
  expect(after).toEqual(before);
  expect(after.acl).toBe('private');
  expect((await h.client.head(key)).res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256', 'x-oss-storage-class': 'Standard' });
  return summary.results[0]!;
}

describe('hostile object metadata and tags survive encryption unchanged', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ MULTIPART_THRESHOLD_BYTES: '204800', MULTIPART_PART_BYTES: '102400' });
    keepDotSegments(h.client); // to seed "a/../b" keys (see src/oss/gateway.ts)
  });
  afterAll(() => h.close());

  it('single CopyObject', async () => {
    expect((await encryptAndCompare(h, 'state/small.txt', 1024)).method).toBe('copy');
  });

  it('multipart copy (tags re-sent in x-oss-tagging)', async () => {
    expect((await encryptAndCompare(h, 'state/big.bin', 300 * 1024)).method).toBe('multipart');
  });

  it('multipart copy of a key with ".." segments: every multipart request addresses that key, the look-alike is untouched', async () => {
    const lookAlike = await upload(h.client, 'state/huge.bin', Buffer.from('look-alike'));
    const before = await snapshot(h.client, lookAlike.key);
    h.oss.requestLog.clear();
    expect((await encryptAndCompare(h, 'state/x/../huge.bin', 300 * 1024)).method).toBe('multipart');
    const touched = new Set(h.oss.requestLog.entries().filter((e) => e.method !== 'GET' && e.method !== 'HEAD').map((e) => e.key));
    expect([...touched]).toEqual(['state/x/../huge.bin']);
    expect(await snapshot(h.client, lookAlike.key)).toEqual(before);
    expect(h.oss.inspect.multipartUploads('test-bucket')).toEqual([]);
  });
});
