import OSS from 'ali-oss';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log';
import { loadEventFiles, DEFAULT_EVENTS_DIR } from '../../src/local-run/event-files';
import { replay, replayFailed, type EventReplay, type ObjectReplay } from '../../src/local-run/replay';
import { SEED_CACHE_CONTROL, SEED_TAGS } from '../../src/local-run/seed';
import { startLocalOss, type LocalOss } from '../../src/local-oss';
import { OssOperationError } from '../../src/errors';
import { Writable } from 'node:stream';

const quiet = () => createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const byFile = (events: EventReplay[], name: string): EventReplay => {
  const e = events.find((x) => x.file.endsWith(`/${name}`));
  if (!e) throw new Error(`no replay for ${name}`);
  return e;
};
const only = (e: EventReplay): ObjectReplay => {
  expect(e.objects).toHaveLength(1);
  return e.objects[0]!;
};

/** What the rewrite must not lose, as the views show it. */
function expectPreserved(o: ObjectReplay): void {
  const { before, after } = o;
  expect(after.contentType).toBe(before.contentType);
  expect(after.cacheControl).toBe(before.cacheControl);
  expect(after.size).toBe(before.size);
  expect(after.storageClass).toBe(before.storageClass);
  expect(after.objectType).toBe(before.objectType);
  expect(after.userMeta).toEqual(before.userMeta);
  expect(after.tags).toEqual(before.tags);
}

describe('replay against the embedded local OSS, every sample event', () => {
  let events: EventReplay[];
  let report: Awaited<ReturnType<typeof replay>>;

  beforeAll(async () => {
    const files = await loadEventFiles([]);
    report = await replay({ files, env: { SSE_ALGORITHM: 'AES256' }, logger: quiet() });
    events = report.events;
  });

  test('covers every file in events/ and nothing fails', async () => {
    const files = await loadEventFiles([DEFAULT_EVENTS_DIR]);
    expect(events.map((e) => e.file)).toEqual(files.map((f) => f.path));
    expect(report.mode).toBe('embedded');
    expect(report.totals).toMatchObject({ events: 8, objects: 10, encrypted: 7, skipped: 3, failed: 0, eventErrors: 0 });
    expect(replayFailed(report)).toBe(false);
  });

  test.each([
    ['put-object.json', 'normal'],
    ['post-object.json', 'normal'],
    ['complete-multipart-upload.json', 'multipart'],
    ['cloudevent-put-object.json', 'normal'],
  ])('%s: seeded plaintext with metadata → encrypted AES256, metadata and tags intact', (name, kind) => {
    const o = only(byFile(events, name));
    expect(o.seeded).toBe(kind);
    expect(o.before.exists).toBe(true);
    expect(o.before.encryption).toBeUndefined();
    expect(o.before.cacheControl).toBe(SEED_CACHE_CONTROL);
    expect(o.before.userMeta).toMatchObject({ 'x-oss-meta-uploaded-by': 'replay' });
    expect(o.before.tags).toEqual(SEED_TAGS);
    expect(o.result).toMatchObject({ outcome: 'encrypted', algorithm: 'AES256' });
    expect(o.after.encryption).toBe('AES256');
    expectPreserved(o);
  });

  test('normal objects keep their MD5 ETag (content unchanged)', () => {
    const o = only(byFile(events, 'put-object.json'));
    expect(o.after.etag).toBe(o.before.etag);
  });

  test('multipart sample is a real multipart object', () => {
    expect(only(byFile(events, 'complete-multipart-upload.json')).before.objectType).toBe('Multipart');
  });

  test('keys with +, %, spaces and CJK in one multi-record event are each encrypted under their verbatim key', () => {
    const e = byFile(events, 'multi-record.json');
    expect(e.objects.map((o) => o.key)).toEqual(['photos/2026/11/beach+sunset.jpg', 'exports/growth 100%.csv', 'docs/季度报告/第三季度 总结.docx']);
    for (const o of e.objects) {
      expect(o.result).toMatchObject({ outcome: 'encrypted', key: o.key });
      expect(o.after.encryption).toBe('AES256');
      expectPreserved(o);
    }
    expect(e.summary).toMatchObject({ total: 3, encrypted: 3 });
  });

  test('the CloudEvent-wrapped event reaches the CJK key', () => {
    expect(only(byFile(events, 'cloudevent-put-object.json')).key).toBe('图片/产品 展示/封面.webp');
  });

  test.each([
    ['append-object.json', 'appendable', 'appendable', 'Appendable'],
    ['put-symlink.json', 'symlink', 'symlink', 'Symlink'],
  ])('%s: seeded as %s → skipped (%s), untouched', (name, kind, reason, type) => {
    const o = only(byFile(events, name));
    expect(o.seeded).toBe(kind);
    expect(o.before.objectType).toBe(type);
    expect(o.result).toMatchObject({ outcome: 'skipped', reason });
    expect(o.after).toEqual(o.before);
  });

  test('copy-object-echo: the function\'s own CopyObject event finds the object encrypted and stops', () => {
    const o = only(byFile(events, 'copy-object-echo.json'));
    expect(o.before.encryption).toBe('AES256');
    expect(o.result).toMatchObject({ outcome: 'skipped', reason: 'already-encrypted' });
    expect(o.after).toEqual(o.before);
  });

  test('every event got an FC 3.0-style request id', () => {
    for (const e of events) expect(e.requestId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/);
  });
});

describe('replay: policy and failures', () => {
  test('SSE_ALGORITHM=KMS shows the key id appearing', async () => {
    const r = await replay({ files: await loadEventFiles([join(DEFAULT_EVENTS_DIR, 'put-object.json')]), env: { SSE_ALGORITHM: 'KMS' }, logger: quiet() });
    const o = r.events[0]!.objects[0]!;
    expect(o.before.kmsKeyId).toBeUndefined();
    expect(o.after.encryption).toBe('KMS');
    expect(o.after.kmsKeyId).toEqual(expect.any(String));
    expect(o.result?.kmsKeyId).toBe(o.after.kmsKeyId);
  });

  test('a bucket outside ALLOWED_BUCKETS fails the object and the report', async () => {
    const r = await replay({ files: await loadEventFiles([join(DEFAULT_EVENTS_DIR, 'put-object.json')]), env: { ALLOWED_BUCKETS: 'other-bucket' }, logger: quiet() });
    expect(r.events[0]!.objects[0]!.result).toMatchObject({ outcome: 'failed', error: { code: 'BUCKET_NOT_ALLOWED' } });
    expect(r.events[0]!.objects[0]!.after.encryption).toBeUndefined();
    expect(r.totals.failed).toBe(1);
    expect(replayFailed(r)).toBe(true);
  });

  test('cloud credentials in env are not used in embedded mode', async () => {
    const r = await replay({
      files: await loadEventFiles([join(DEFAULT_EVENTS_DIR, 'put-object.json')]),
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIreal', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'real-secret' }, logger: quiet(),
    });
    expect(r.totals.encrypted).toBe(1);
  });
});

describe('replay against another OSS (remote mode)', () => {
  let oss: LocalOss;
  let client: OSS;
  let dir: string;
  beforeAll(async () => {
    oss = await startLocalOss({ buckets: ['my-bucket'] });
    client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket: 'my-bucket' });
    dir = await mkdtemp(join(tmpdir(), 'replay-remote-'));
  });
  afterAll(() => oss.close());

  test('creates nothing: only the named existing object is rewritten; a missing one is reported gone', async () => {
    await client.put('uploads/existing.txt', Buffer.from('hello'), { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-owner': 'ops' } });
    const event = { events: [
      { eventName: 'ObjectCreated:PutObject', region: oss.region, oss: { bucket: { name: 'my-bucket' }, object: { key: 'uploads/existing.txt' } } },
      { eventName: 'ObjectCreated:PutObject', region: oss.region, oss: { bucket: { name: 'my-bucket' }, object: { key: 'uploads/missing.txt' } } },
    ] };
    const path = join(dir, 'remote.json');
    await writeFile(path, JSON.stringify(event));
    oss.requestLog.clear();
    const r = await replay({
      files: await loadEventFiles([path]), env: {}, logger: quiet(),
      remote: { endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } },
    });
    expect(r.mode).toBe('remote');
    const [existing, missing] = r.events[0]!.objects;
    expect(existing).toMatchObject({ result: { outcome: 'encrypted' }, after: { encryption: 'AES256', contentType: 'text/plain', userMeta: { 'x-oss-meta-owner': 'ops' } } });
    expect(existing!.seeded).toBeUndefined();
    expect(missing).toMatchObject({ before: { exists: false }, after: { exists: false }, result: { outcome: 'skipped', reason: 'gone' } });
    const writes = oss.requestLog.entries().filter((e) => e.method === 'PUT' || e.method === 'POST' || e.method === 'DELETE');
    expect(writes.map((e) => e.key)).toEqual(['uploads/existing.txt']); // the in-place copy, nothing else
    expect(oss.buckets).toEqual(['my-bucket']);
  });

  test('wrong credentials: a clear OSS error, not a crash', async () => {
    const files = await loadEventFiles([join(DEFAULT_EVENTS_DIR, 'put-object.json')]);
    const err = await replay({
      files, env: {}, logger: quiet(),
      remote: { endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: 'wrong-secret' } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OssOperationError);
    expect((err as OssOperationError).code).toBe('OSS_SignatureDoesNotMatch');
  });
});
