/**
 * Object operations through ali-oss (V1 and V4): Range GET, conditions, GetObjectMeta, AppendObject, symlinks,
 * restore, tagging, ACL, ListObjects v1/v2 pagination, DeleteMultipleObjects, Content-MD5.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss, type OssClient } from '../helpers/local-oss';

type Headers = Record<string, string>;
type ErrLike = { status: number; code: string; message: string };
const failure = (p: Promise<unknown>): Promise<ErrLike> => p.then(() => { throw new Error('expected the request to fail'); }, (e: ErrLike) => e);
const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();

describe.each([['V1', false], ['V4', true]])('objects (%s)', (_n, v4) => {
  let oss: LocalOss;
  let c: OssClient;
  beforeAll(async () => {
    oss = await startTestOss({ restoreDelayMs: 300 });
    c = ossClient(oss, 'test-bucket', { v4 });
  });
  afterAll(() => oss.close());

  it('serves byte ranges with 206 and Content-Range, and 416 past the end', async () => {
    await c.put('range.txt', Buffer.from('0123456789'));
    const r = await c.get('range.txt', { headers: { Range: 'bytes=2-5' } });
    expect(r.res.status).toBe(206);
    expect(r.content.toString()).toBe('2345');
    expect((r.res.headers as Headers)['content-range']).toBe('bytes 2-5/10');
    expect((await c.get('range.txt', { headers: { Range: 'bytes=-3' } })).content.toString()).toBe('789');
    expect((await c.get('range.txt', { headers: { Range: 'bytes=7-' } })).content.toString()).toBe('789');
    // An invalid range is ignored (whole object, 200), as OSS documents.
    const whole = await c.get('range.txt', { headers: { Range: 'bytes=5-2' } });
    expect([whole.res.status, whole.content.toString()]).toEqual([200, '0123456789']);
    expect(await failure(c.get('range.txt', { headers: { Range: 'bytes=20-30' } }))).toMatchObject({ status: 416, code: 'InvalidRange' });
  });

  it('answers GET/HEAD conditions with 304 and 412, and applies response-* overrides', async () => {
    await c.put('cond.txt', Buffer.from('cond'));
    const etag = `"${md5('cond')}"`;
    expect((await c.head('cond.txt', { headers: { 'If-None-Match': etag } } as OSS.HeadObjectOptions)).status).toBe(304);
    expect(await failure(c.get('cond.txt', { headers: { 'If-Match': '"abc"' } }))).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    const r = await c.get('cond.txt', { subres: { 'response-content-type': 'x/y', 'response-content-disposition': 'inline' } } as never);
    expect(r.res.headers).toMatchObject({ 'content-type': 'x/y', 'content-disposition': 'inline' });
  });

  it('GetObjectMeta returns ETag, size and Last-Modified but no SSE headers', async () => {
    await c.put('meta.txt', Buffer.from('meta'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
    const m = await c.getObjectMeta('meta.txt');
    const h = m.res.headers as Headers;
    expect(h).toMatchObject({ etag: `"${md5('meta')}"`, 'content-length': '4' });
    expect(h['last-modified']).toMatch(/GMT$/);
    expect(h['x-oss-server-side-encryption']).toBeUndefined();
  });

  it('rejects a body whose Content-MD5 does not match', async () => {
    const err = await failure(c.put('md5.txt', Buffer.from('abc'), { headers: { 'Content-MD5': Buffer.from(md5('xyz'), 'hex').toString('base64') } } as OSS.PutObjectOptions));
    expect(err).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect(await failure(c.head('md5.txt'))).toMatchObject({ status: 404 });
  });

  it('appends at the right position and refuses a wrong one or a Normal object', async () => {
    const first = await c.append('log.txt', Buffer.from('one,'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as never);
    expect(String(first.nextAppendPosition)).toBe('4');
    const second = await c.append('log.txt', Buffer.from('two'), { position: first.nextAppendPosition } as never);
    expect(String(second.nextAppendPosition)).toBe('7');
    expect((await c.get('log.txt')).content.toString()).toBe('one,two');
    const h = (await c.head('log.txt')).res.headers as Headers;
    expect(h).toMatchObject({ 'x-oss-object-type': 'Appendable', 'x-oss-next-append-position': '7', 'x-oss-server-side-encryption': 'AES256' });
    expect(await failure(c.append('log.txt', Buffer.from('x'), { position: '3' } as never))).toMatchObject({ status: 409, code: 'PositionNotEqualToLength' });
    await c.put('normal.txt', Buffer.from('n'));
    expect(await failure(c.append('normal.txt', Buffer.from('x'), { position: '1' } as never))).toMatchObject({ status: 409, code: 'ObjectNotAppendable' });
  });

  it('lets only one of two concurrent appends at the same position win', async () => {
    const results = await Promise.allSettled([c.append('race.log', Buffer.from('A')), c.append('race.log', Buffer.from('B'))]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ status: 409, code: 'PositionNotEqualToLength' });
    expect(['A', 'B']).toContain((await c.get('race.log')).content.toString());
  });

  it('creates symlinks that HEAD/GET follow and GetSymlink reads back', async () => {
    await c.put('target 目标.txt', Buffer.from('target body'));
    await c.putSymlink('link.txt', 'target 目标.txt', { meta: { a: 'b' } } as never);
    expect((await c.getSymlink('link.txt')).targetName).toBe('target 目标.txt');
    const h = (await c.head('link.txt')).res.headers as Headers;
    expect(h).toMatchObject({ 'x-oss-object-type': 'Symlink', 'content-length': '11', etag: `"${md5('target body')}"`, 'x-oss-meta-a': 'b' });
    expect((await c.get('link.txt')).content.toString()).toBe('target body');
    expect(await failure(c.getSymlink('target 目标.txt'))).toMatchObject({ status: 400, code: 'NotSymlink' });
    await c.putSymlink('dangling', 'nowhere');
    expect(await failure(c.get('dangling'))).toMatchObject({ status: 404, code: 'SymlinkTargetNotExist' });
  });

  it('refuses a symlink whose target is itself a symlink with InvalidTargetType', async () => {
    await c.put('t2', Buffer.from('x'));
    await c.putSymlink('l1', 't2');
    await c.putSymlink('l2', 'l1');
    expect(await failure(c.get('l2'))).toMatchObject({ status: 400, code: 'InvalidTargetType' });
  });

  it('streams a multi-MiB body in and out (putStream/getStream) unchanged', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let sent = 0;
    const hash = createHash('md5');
    const source = new Readable({
      read() {
        if (sent === 8) { this.push(null); return; }
        const piece = Buffer.from(chunk.map((b) => (b + sent) & 0xff));
        hash.update(piece);
        sent++;
        this.push(piece);
      },
    });
    await c.putStream('stream.bin', source);
    const out = createHash('md5');
    let size = 0;
    for await (const part of (await c.getStream('stream.bin')).stream as AsyncIterable<Buffer>) { out.update(part); size += part.length; }
    expect([size, out.digest('hex')]).toEqual([8 * 1024 * 1024, hash.digest('hex')]);
  });

  it('restores archive objects: refused before, x-oss-restore ongoing, then readable', async () => {
    await c.put('cold.bin', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'ColdArchive' } } as OSS.PutObjectOptions);
    expect(await failure(c.get('cold.bin'))).toMatchObject({ status: 403, code: 'InvalidObjectState' });
    expect(((await c.head('cold.bin')).res.headers as Headers)['x-oss-restore']).toBeUndefined();
    const r = await c.restore('cold.bin', { type: 'ColdArchive' } as never) as unknown as { res: { status: number } };
    expect(r.res.status).toBe(202);
    expect(((await c.head('cold.bin')).res.headers as Headers)['x-oss-restore']).toBe('ongoing-request="true"');
    expect(await failure(c.restore('cold.bin', { type: 'ColdArchive' } as never))).toMatchObject({ status: 409, code: 'RestoreAlreadyInProgress' });
    await new Promise((res) => setTimeout(res, 350));
    expect(((await c.head('cold.bin')).res.headers as Headers)['x-oss-restore']).toMatch(/^ongoing-request="false", expiry-date=".+GMT"$/);
    expect((await c.get('cold.bin')).content.toString()).toBe('frozen');
    await c.put('warm.bin', Buffer.from('x'));
    expect(await failure(c.restore('warm.bin'))).toMatchObject({ status: 400, code: 'OperationNotSupported' });
  });

  it('puts, gets and deletes object tags, and rejects more than 10', async () => {
    await c.put('tagged', Buffer.from('t'));
    // ali-oss itself only lets letters, digits, space and + - = . _ : / through.
    await c.putObjectTagging('tagged', { 'a b': 'c+d=e', 'k:1': 'v/2' });
    expect((await c.getObjectTagging('tagged')).tag).toEqual({ 'a b': 'c+d=e', 'k:1': 'v/2' });
    await c.deleteObjectTagging('tagged');
    expect((await c.getObjectTagging('tagged')).tag).toEqual({});
    // ali-oss checks putObjectTagging's count itself, so send 11 tags through x-oss-tagging on PutObject.
    const many = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    expect(await failure(c.put('too-many-tags', Buffer.from('x'), { headers: { 'x-oss-tagging': many } } as OSS.PutObjectOptions)))
      .toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('puts and gets object ACLs', async () => {
    await c.put('acl', Buffer.from('a'));
    expect((await c.getACL('acl')).acl).toBe('default');
    await c.putACL('acl', 'public-read');
    expect((await c.getACL('acl')).acl).toBe('public-read');
    expect(await failure(c.putACL('acl', 'everyone' as never))).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('lists v1 with Owner, delimiter and marker pagination', async () => {
    const lc = ossClient(oss, 'test-bucket', { v4 });
    for (const k of ['l/a', 'l/b', 'l/c/1', 'l/c/2', 'l/d', 'l/中']) await lc.put(k, Buffer.from(k));
    const p1 = await lc.list({ prefix: 'l/', delimiter: '/', 'max-keys': 2 }, {});
    expect(p1.objects.map((o) => o.name)).toEqual(['l/a', 'l/b']);
    expect(p1.objects[0]!.owner!.id).toBe(oss.accountId);
    expect(p1.isTruncated).toBe(true);
    const p2 = await lc.list({ prefix: 'l/', delimiter: '/', 'max-keys': 2, marker: p1.nextMarker! }, {});
    expect([p2.objects?.map((o) => o.name) ?? [], p2.prefixes]).toEqual([['l/d'], ['l/c/']]);
    const p3 = await lc.list({ prefix: 'l/', delimiter: '/', 'max-keys': 2, marker: p2.nextMarker! }, {});
    expect([p3.objects.map((o) => o.name), p3.isTruncated]).toEqual([['l/中'], false]);
  });

  it('lists v2 with continuation tokens, KeyCount and an empty prefix', async () => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.listV2({ prefix: 'l/', 'max-keys': '4', ...(token ? { 'continuation-token': token } : {}) } as never, {});
      expect(page.keyCount).toBe(page.objects.length);
      names.push(...page.objects.map((o) => o.name));
      token = page.nextContinuationToken ?? undefined;
    } while (token);
    expect(names).toEqual(['l/a', 'l/b', 'l/c/1', 'l/c/2', 'l/d', 'l/中']);
    const all = await c.listV2({ prefix: '', 'max-keys': '1000' } as never, {});
    expect(all.objects.length).toBeGreaterThanOrEqual(6);
  });

  it('deletes many objects at once', async () => {
    for (const k of ['dm/1', 'dm/2 x', 'dm/3+']) await c.put(k, Buffer.from('x'));
    const r = await c.deleteMulti(['dm/1', 'dm/2 x', 'dm/3+', 'dm/absent']);
    expect((r.deleted as unknown as Array<{ Key: string }>).map((d) => d.Key).sort()).toEqual(['dm/1', 'dm/2 x', 'dm/3+', 'dm/absent']);
    expect((await c.list({ prefix: 'dm/' } as never, {})).objects ?? []).toEqual([]);
  });
});
