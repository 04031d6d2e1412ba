/**
 * Confirmation of the SSE after the copy: from the copy response when it says, with one extra HEAD
 * when it does not. The local OSS always echoes SSE, so the gateway is wrapped (our own adapter, not
 * ali-oss) to drop or alter the response headers.
 */
import { BUCKET, startHarness, upload, type Harness } from '../function/harness';
import { encryptObject } from '../../src/core/encrypt';
import type { OssGateway } from '../../src/oss/gateway';

describe('confirming the encryption', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PRESERVE_ACL: 'false' });
  });
  afterAll(() => h.close());

  const withCopyHeaders = (gw: OssGateway, edit: (hd: Record<string, string>) => Record<string, string>): OssGateway => ({
    ...gw,
    copyInPlace: async (bucket, key, headers) => {
      const r = await gw.copyInPlace(bucket, key, headers);
      return { ...r, headers: edit(r.headers) };
    },
  });

  it('makes one extra HEAD when the copy response carries no SSE headers', async () => {
    const obj = await upload(h.client, 'confirm/a', Buffer.from('a'));
    h.oss.requestLog.clear();
    const gw = withCopyHeaders(h.gateway(), (hd) => Object.fromEntries(Object.entries(hd).filter(([k]) => !k.startsWith('x-oss-server-side'))));
    const r = await encryptObject({ bucket: BUCKET, key: obj.key, eTag: obj.eTag }, { oss: gw, policy: h.policy, logger: h.logs.logger });
    expect(r).toMatchObject({ outcome: 'encrypted', algorithm: 'AES256' });
    expect(h.oss.requestLog.entries().map((e) => e.op)).toEqual(['HeadObject', 'CopyObject', 'HeadObject']);
    expect(r.requestIds).toHaveLength(3);
  });

  it('fails with SSE_NOT_CONFIRMED when the response reports other encryption', async () => {
    const obj = await upload(h.client, 'confirm/b', Buffer.from('b'));
    const gw = withCopyHeaders(h.gateway(), (hd) => ({ ...hd, 'x-oss-server-side-encryption': 'SM4' }));
    const r = await encryptObject({ bucket: BUCKET, key: obj.key, eTag: obj.eTag }, { oss: gw, policy: h.policy, logger: h.logs.logger });
    expect(r).toMatchObject({ outcome: 'failed', reason: 'SSE_NOT_CONFIRMED', method: 'copy' });
    expect(r.error!.message).toMatch(/expected AES256 after the copy but OSS reports SM4/);
  });
});
