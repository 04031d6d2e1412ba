/**
 * Non-ASCII user metadata (`x-oss-meta-owner: 张三`) survives encryption byte for byte. ali-oss can only send such
 * metadata values with `headerEncoding: 'latin1'` (ali-sdk/ali-oss#842), which changes what it signs; the local OSS must accept
 * those signatures (V1 and V4) and the function's copy must re-send the raw bytes it read from HEAD.
 */
import OSS from 'ali-oss';
import { startHarness, ossEvent, type Harness } from './harness';

function latin1Client(h: Harness, v4: boolean): OSS {
  return new OSS({
    endpoint: h.oss.endpoint, region: 'oss-' + h.oss.region, bucket: 'test-bucket',
    accessKeyId: h.oss.accessKeyId, accessKeySecret: h.oss.accessKeySecret,
    headerEncoding: 'latin1', ...(v4 ? { authorizationV4: true } : {}),
  } as OSS.Options);
}

/** Raw header bytes as Node hands them over (latin1 chars) → the UTF-8 text they encode. */
const utf8 = (v: unknown): string => Buffer.from(String(v), 'latin1').toString('utf8');

describe('non-ASCII metadata', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ PRESERVE_ACL: 'false' }); });
  afterAll(() => h.close());

  it.each([['V1', false], ['V4', true]])('is accepted when signed by ali-oss in latin1 mode (%s)', async (_name, v4) => {
    const client = latin1Client(h, v4);
    const key = `meta/${v4 ? 'v4' : 'v1'}-名单.csv`;
    await client.put(key, Buffer.from('a,b\n'), { meta: { owner: '张三', note: 'café' } as never, headers: { 'Content-Disposition': "attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.csv" } });
    const head = (await client.head(key)).res.headers as Record<string, string>;
    expect(utf8(head['x-oss-meta-owner'])).toBe('张三');
    expect(utf8(head['x-oss-meta-note'])).toBe('café');
  });

  it('survives the in-place encryption byte for byte', async () => {
    const client = latin1Client(h, false);
    const key = 'meta/保留.txt';
    await client.put(key, Buffer.from('keep me'), { meta: { owner: '张三' } as never, headers: { 'Content-Disposition': "attachment; filename*=UTF-8''%E4%BF%9D%E7%95%99.txt", 'Content-Type': 'text/plain; charset=utf-8' } });
    const before = (await client.head(key)).res.headers as Record<string, string>;

    const summary = await h.handler.handler(ossEvent([{ key }]), h.context());

    expect(summary).toMatchObject({ encrypted: 1, failed: 0 });
    const after = (await client.head(key)).res.headers as Record<string, string>;
    expect(after['x-oss-server-side-encryption']).toBe('AES256');
    expect(after['x-oss-meta-owner']).toBe(before['x-oss-meta-owner']);
    expect(utf8(after['x-oss-meta-owner'])).toBe('张三');
    expect(after['content-disposition']).toBe("attachment; filename*=UTF-8''%E4%BF%9D%E7%95%99.txt");
    expect(after['content-type']).toBe('text/plain; charset=utf-8');
  });
});
