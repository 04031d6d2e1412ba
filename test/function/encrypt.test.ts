/**
 * The handler against the local OSS through the real ali-oss client: SSE modes, rules, metadata/tags/ACL/
 * storage class preserved field by field, content byte for byte, and every skip reason.
 */
import { randomBytes } from 'node:crypto';
import { BUCKET, CMK, CMK_OLD, headers, objectLines, ossEvent, snapshot, startHarness, upload, type Harness } from './harness';
import { encryptObject } from '../../src/core/encrypt';
import { InvocationFailedError } from '../../src/errors';

const RICH = {
  headers: {
    'Content-Type': 'application/vnd.ms-excel',
    'Cache-Control': 'max-age=3600, private',
    'Content-Disposition': 'attachment; filename="report.xls"',
    'Content-Encoding': 'identity',
    'Content-Language': 'zh-CN',
    Expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
    'x-oss-storage-class': 'IA',
    'x-oss-tagging': 'team=finance&level=secret%20one',
    'x-oss-object-acl': 'public-read',
  },
  meta: { owner: 'alice', project: 'q4-plan' },
};

describe('handler encrypts new objects in place, losing nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('AES256 by default: metadata, storage class, tags, ACL and bytes unchanged', async () => {
    const body = randomBytes(4096);
    const obj = await upload(h.client, 'reports/q4.xls', body, RICH);
    const before = await snapshot(h.client, obj.key);
    expect(before.headers['x-oss-storage-class']).toBe('IA');
    expect(before.acl).toBe('public-read');

    const summary = await h.handler.handler(ossEvent([obj]), h.context());

    expect(summary).toMatchObject({ total: 1, encrypted: 1, skipped: 0, failed: 0 });
    expect(summary.results[0]).toMatchObject({ outcome: 'encrypted', reason: 'unencrypted', algorithm: 'AES256', method: 'copy', size: 4096 });
    const after = await snapshot(h.client, obj.key);
    expect((await headers(h.client, obj.key))['x-oss-server-side-encryption']).toBe('AES256');
    expect(after.headers).toEqual(before.headers);
    expect(after.tags).toEqual({ team: 'finance', level: 'secret one' });
    expect(after.acl).toBe('public-read');
    expect(after.body.equals(body)).toBe(true);
  });

  it('keeps an object with no optional metadata as it was (Content-Type not guessed from the extension)', async () => {
    const obj = await upload(h.client, 'plain/page.html', Buffer.from('<p>x</p>'), { headers: { 'Content-Type': 'application/octet-stream' } });
    const before = await snapshot(h.client, obj.key);
    await h.handler.handler(ossEvent([obj]), h.context());
    const after = await snapshot(h.client, obj.key);
    expect(after.headers).toEqual(before.headers);
    expect(after.headers['content-type']).toBe('application/octet-stream');
    expect(after.acl).toBe('default');
  });

  it('processes every record of a multi-record event', async () => {
    const objs = await Promise.all(['m/1', 'm/2', 'm/3'].map((k) => upload(h.client, k, Buffer.from(k))));
    const summary = await h.handler.handler(ossEvent(objs), h.context());
    expect(summary).toMatchObject({ total: 3, encrypted: 3 });
    for (const o of objs) expect((await headers(h.client, o.key))['x-oss-server-side-encryption']).toBe('AES256');
  });

  it('is idempotent: a second delivery skips with already-encrypted', async () => {
    const obj = await upload(h.client, 'idem/a', Buffer.from('a'));
    await h.handler.handler(ossEvent([obj]), h.context());
    const again = await h.handler.handler(ossEvent([{ key: obj.key }]), h.context());
    expect(again.results[0]).toMatchObject({ outcome: 'skipped', reason: 'already-encrypted', algorithm: 'AES256' });
  });

  it('handles keys with spaces, +, % and CJK, whether the event key is URL-encoded or raw', async () => {
    const key = '图片/产品 展示/a+b%c.txt';
    const raw = await upload(h.client, key, Buffer.from('raw'));
    let s = await h.handler.handler(ossEvent([raw]), h.context());
    expect(s.results[0]).toMatchObject({ outcome: 'encrypted', key });

    const key2 = '图片/产品 展示/second+copy.txt';
    const enc = await upload(h.client, key2, Buffer.from('enc'));
    s = await h.handler.handler(ossEvent([{ ...enc, key: encodeURIComponent(key2).replace(/%2F/g, '/') }]), h.context());
    expect(s.results[0]).toMatchObject({ outcome: 'encrypted', key: key2 });
    expect((await headers(h.client, key2))['x-oss-server-side-encryption']).toBe('AES256');

    // S3-style form encoding: space as '+'.
    const key3 = 'docs/with space.txt';
    const form = await upload(h.client, key3, Buffer.from('form'));
    s = await h.handler.handler(ossEvent([{ ...form, key: 'docs/with+space.txt' }]), h.context());
    expect(s.results[0]).toMatchObject({ outcome: 'encrypted', key: key3 });
  });

  it('skips a missing object (gone), an object replaced since the event, appendable objects and symlinks', async () => {
    const gone = await h.handler.handler(ossEvent([{ key: 'nope/missing.txt', eTag: 'ABC' }]), h.context());
    expect(gone.results[0]).toMatchObject({ outcome: 'skipped', reason: 'gone' });

    const obj = await upload(h.client, 'skip/replaced', Buffer.from('old'));
    await upload(h.client, 'skip/replaced', Buffer.from('newer content'));
    const replaced = await h.handler.handler(ossEvent([obj]), h.context());
    expect(replaced.results[0]).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect((await headers(h.client, 'skip/replaced'))['x-oss-server-side-encryption']).toBeUndefined();

    await h.client.append('skip/log.txt', Buffer.from('line 1\n'));
    const app = await h.handler.handler(ossEvent([{ key: 'skip/log.txt', eventName: 'ObjectCreated:AppendObject' }]), h.context());
    expect(app.results[0]).toMatchObject({ outcome: 'skipped', reason: 'appendable' });

    await upload(h.client, 'skip/target', Buffer.from('target'));
    await h.client.putSymlink('skip/link', 'skip/target');
    const link = await h.handler.handler(ossEvent([{ key: 'skip/link', eventName: 'ObjectCreated:PutSymlink' }]), h.context());
    expect(link.results[0]).toMatchObject({ outcome: 'skipped', reason: 'symlink' });

    const removed = await h.handler.handler(ossEvent([{ key: 'skip/target', eventName: 'ObjectRemoved:DeleteObject' }]), h.context());
    expect(removed.results[0]).toMatchObject({ outcome: 'skipped', reason: 'not-object-created' });
  });

  it('skips an unrestored archive object with archive-not-restored, without failing the invocation', async () => {
    const obj = await upload(h.client, 'cold/a.bin', Buffer.from('cold'), { headers: { 'x-oss-storage-class': 'Archive' } });
    const s = await h.handler.handler(ossEvent([obj]), h.context());
    expect(s.results[0]).toMatchObject({ outcome: 'skipped', reason: 'archive-not-restored' });
    expect((await headers(h.client, obj.key))['x-oss-server-side-encryption']).toBeUndefined();
  });

  it('keeps a concurrent overwrite between HEAD and copy intact (If-Match → replaced)', async () => {
    const obj = await upload(h.client, 'race/a.txt', Buffer.from('first'), { meta: { v: '1' } });
    const gw = h.gateway();
    const racing = {
      ...gw,
      head: async (bucket: string, key: string) => {
        const r = await gw.head(bucket, key);
        await h.client.put(key, Buffer.from('second upload'), { meta: { v: '2' } } as never);
        return r;
      },
    };
    const result = await encryptObject({ bucket: BUCKET, key: obj.key, eTag: obj.eTag }, { oss: racing, policy: h.policy, logger: h.logs.logger });
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    const after = await headers(h.client, obj.key);
    expect(after['x-oss-meta-v']).toBe('2');
    expect(((await h.client.get(obj.key)).content as Buffer).toString()).toBe('second upload');
  });

  it('refuses buckets outside ALLOWED_BUCKETS and fails the invocation listing the key and code', async () => {
    const g = await startHarness({ ALLOWED_BUCKETS: 'some-other-bucket' });
    try {
      const obj = await upload(g.client, 'x', Buffer.from('x'));
      g.oss.requestLog.clear();
      const err = await g.handler.handler(ossEvent([obj]), g.context()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationFailedError);
      expect((err as InvocationFailedError).message).toMatch(/oss:\/\/test-bucket\/x \(BUCKET_NOT_ALLOWED\)/);
      expect((err as InvocationFailedError).summary.failed).toBe(1);
      expect(g.oss.requestLog.counts({ bucket: BUCKET, key: 'x' })).not.toHaveProperty('HeadObject');
    } finally {
      await g.close();
    }
  });

  it('writes one JSON log line per object and a summary line, without secrets', async () => {
    const obj = await upload(h.client, 'logs/a.txt', Buffer.from('a'));
    const ctx = h.context('req-logs-1');
    await h.handler.handler(ossEvent([obj, { key: 'logs/missing' }]), ctx);
    const lines = h.logs.lines().filter((l) => l.requestId === 'req-logs-1');
    const objects = lines.filter((l) => typeof l.outcome === 'string').sort((a, b) => String(a.key).localeCompare(String(b.key)));
    expect(objects).toHaveLength(2);
    expect(objects[0]).toMatchObject({ level: 'info', bucket: BUCKET, key: 'logs/a.txt', outcome: 'encrypted', reason: 'unencrypted', algorithm: 'AES256', size: 1, method: 'copy' });
    expect(typeof objects[0]!.durationMs).toBe('number');
    expect((objects[0]!.requestIds as string[]).length).toBe(3);
    expect(objects[1]).toMatchObject({ outcome: 'skipped', reason: 'gone' });
    const summary = lines.find((l) => l.msg === 'invocation summary');
    expect(summary).toMatchObject({ total: 2, encrypted: 1, skipped: 1, failed: 0 });
    const raw = h.logs.raw();
    // Every line is valid JSON with each key once (JSON.parse would hide a duplicated "requestId").
    for (const line of raw.split('\n').filter((l) => l.includes('"req-logs-1"'))) {
      expect(line.match(/"requestId":/g)).toHaveLength(1);
    }
    expect(raw).not.toContain(ctx.credentials!.accessKeySecret);
    expect(raw).not.toContain(ctx.credentials!.securityToken!);
    expect(objectLines(h.logs).length).toBeGreaterThan(2);
  });
});

describe('SSE modes and rules', () => {
  it.each<[string, Record<string, string>, Record<string, string | undefined>]>([
    ['AES256', { SSE_ALGORITHM: 'AES256' }, { 'x-oss-server-side-encryption': 'AES256' }],
    ['SM4', { SSE_ALGORITHM: 'SM4' }, { 'x-oss-server-side-encryption': 'SM4' }],
    ['KMS with a CMK', { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: CMK }, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': CMK }],
    ['KMS + SM4', { SSE_ALGORITHM: 'KMS', SSE_KMS_DATA_ENCRYPTION: 'SM4' }, { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4' }],
  ])('%s', async (_name, env, expected) => {
    const h = await startHarness(env);
    try {
      const body = randomBytes(1000);
      const obj = await upload(h.client, 'mode/a.bin', body, RICH);
      const before = await snapshot(h.client, obj.key);
      const s = await h.handler.handler(ossEvent([obj]), h.context());
      expect(s.results[0]).toMatchObject({ outcome: 'encrypted', algorithm: env.SSE_ALGORITHM });
      const after = await headers(h.client, obj.key);
      for (const [k, v] of Object.entries(expected)) expect(after[k]).toBe(v);
      expect((await snapshot(h.client, obj.key))).toEqual(before);
    } finally {
      await h.close();
    }
  });

  it('KMS without a key id uses the default managed key, reported in the result', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'KMS' });
    try {
      const obj = await upload(h.client, 'kms/default', Buffer.from('d'));
      const s = await h.handler.handler(ossEvent([obj]), h.context());
      const keyId = (await headers(h.client, obj.key))['x-oss-server-side-encryption-key-id'];
      expect(keyId).toBeTruthy();
      expect(s.results[0]).toMatchObject({ outcome: 'encrypted', algorithm: 'KMS', kmsKeyId: keyId });
    } finally {
      await h.close();
    }
  });

  it('applies SSE_RULES by longest prefix, skipping excluded prefixes without any request', async () => {
    const rules = [
      { prefix: 'finance/', algorithm: 'KMS', kmsKeyId: CMK },
      { prefix: 'finance/public/', skip: true },
      { prefix: 'gov/', algorithm: 'SM4' },
    ];
    const h = await startHarness({ SSE_RULES: JSON.stringify(rules) });
    try {
      const objs = await Promise.all(['finance/a', 'finance/public/b', 'gov/c', 'other/d'].map((k) => upload(h.client, k, Buffer.from(k))));
      h.oss.requestLog.clear();
      const s = await h.handler.handler(ossEvent(objs), h.context());
      expect(h.oss.requestLog.entries().filter((e) => e.key === 'finance/public/b')).toHaveLength(0);
      expect(s.results.map((r) => [r.key, r.outcome, r.reason, r.algorithm])).toEqual([
        ['finance/a', 'encrypted', 'unencrypted', 'KMS'],
        ['finance/public/b', 'skipped', 'excluded-by-rule', undefined],
        ['gov/c', 'encrypted', 'unencrypted', 'SM4'],
        ['other/d', 'encrypted', 'unencrypted', 'AES256'],
      ]);
      expect((await headers(h.client, 'finance/a'))['x-oss-server-side-encryption-key-id']).toBe(CMK);
      expect((await headers(h.client, 'finance/public/b'))['x-oss-server-side-encryption']).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('SSE_ON_MISMATCH: skip leaves other SSE alone; reencrypt rewrites AES256 and an old CMK to the rule CMK', async () => {
    for (const onMismatch of ['skip', 'reencrypt'] as const) {
      const h = await startHarness({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: CMK, SSE_ON_MISMATCH: onMismatch });
      try {
        const aes = await upload(h.client, 'mm/aes', Buffer.from('aes'), { headers: { 'x-oss-server-side-encryption': 'AES256' }, meta: { keep: 'me' } });
        const old = await upload(h.client, 'mm/old', Buffer.from('old'), {
          headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': CMK_OLD },
        });
        const ok = await upload(h.client, 'mm/ok', Buffer.from('ok'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': CMK } });
        const s = await h.handler.handler(ossEvent([aes, old, ok]), h.context());
        const reasons = s.results.map((r) => `${r.outcome}:${r.reason}`);
        if (onMismatch === 'skip') {
          expect(reasons).toEqual(['skipped:encrypted-differently', 'skipped:encrypted-differently', 'skipped:already-encrypted']);
          expect((await headers(h.client, 'mm/aes'))['x-oss-server-side-encryption']).toBe('AES256');
        } else {
          expect(reasons).toEqual(['encrypted:reencrypted-mismatch', 'encrypted:reencrypted-mismatch', 'skipped:already-encrypted']);
          for (const k of ['mm/aes', 'mm/old']) expect((await headers(h.client, k))['x-oss-server-side-encryption-key-id']).toBe(CMK);
          expect((await headers(h.client, 'mm/aes'))['x-oss-meta-keep']).toBe('me');
        }
      } finally {
        await h.close();
      }
    }
  });

  it('DRY_RUN reports what would be done and changes nothing (HEAD only)', async () => {
    const h = await startHarness({ DRY_RUN: 'true', SSE_ALGORITHM: 'SM4' });
    try {
      const obj = await upload(h.client, 'dry/a', Buffer.from('a'));
      h.oss.requestLog.clear();
      const s = await h.handler.handler(ossEvent([obj]), h.context());
      const ops = h.oss.requestLog.entries().filter((e) => e.key === obj.key).map((e) => e.op);
      expect(ops).toEqual(['HeadObject']);
      expect(s.results[0]).toMatchObject({ outcome: 'skipped', reason: 'dry-run', dryRun: true, algorithm: 'SM4', method: 'copy' });
      expect((await headers(h.client, obj.key))['x-oss-server-side-encryption']).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
