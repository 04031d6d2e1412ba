import { createHash } from 'node:crypto';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { crc64 } from '../../src/local-oss/crc64';
import { ossClient, startTestOss } from '../helpers/local-oss';

describe.each([
  ['V1', { v4: false }],
  ['V4', { v4: true }],
  ['V1 path style', { pathStyle: true }],
  ['V4 path style', { v4: true, pathStyle: true }],
])('local OSS basics through ali-oss (%s)', (_name, clientOpts) => {
  let oss: LocalOss;
  let client: OSS;
  beforeAll(async () => {
    oss = await startTestOss();
    client = ossClient(oss, 'test-bucket', clientOpts);
  });
  afterAll(() => oss.close());

  it.each(['plain.txt', 'dir/with space.txt', 'a+b=c.bin', '100%.txt', '中文/文件 名.json', 'dots..in..name'])('puts, gets, heads and deletes %p', async (key) => {
    const body = Buffer.from(`content of ${key}`);
    const put = await client.put(key, body, { headers: { 'Cache-Control': 'no-cache' }, meta: { owner: 'me' } } as unknown as OSS.PutObjectOptions);
    const md5 = createHash('md5').update(body).digest('hex').toUpperCase();
    expect(put.res.headers).toMatchObject({ etag: `"${md5}"` });
    const got = await client.get(key);
    expect(Buffer.from(got.content).equals(body)).toBe(true);
    const head = await client.head(key);
    expect(head.res.headers).toMatchObject({
      'content-length': String(body.length), 'cache-control': 'no-cache', 'x-oss-object-type': 'Normal',
      'x-oss-storage-class': 'Standard', 'x-oss-meta-owner': 'me', etag: `"${md5}"`,
    });
    expect((head.res.headers as Record<string, string>)['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect((head.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());
    expect((head.res.headers as Record<string, string>)['content-md5']).toBe(Buffer.from(md5, 'hex').toString('base64'));
    await client.delete(key);
    await expect(client.head(key)).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('copies with SSE headers and reports them on HEAD', async () => {
    await client.put('src.txt', Buffer.from('hello'));
    const r = await client.copy('src.txt', 'src.txt', 'test-bucket', { headers: { 'x-oss-server-side-encryption': 'AES256', 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'text/plain' } });
    expect(r.res.status).toBe(200);
    const head = await client.head('src.txt');
    expect(head.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256', 'content-type': 'text/plain' });
  });

  it('answers an unknown key with NoSuchKey XML carrying the request id and EC', async () => {
    const err = await client.get('missing').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'NoSuchKey', ecCode: '0026-00000001' });
    expect((err as { requestId: string }).requestId).toMatch(/^[0-9A-F]{24}$/);
  });
});
