/**
 * Replay of event files taken from public sources (test/fixtures/public-events/README.md), through the real
 * handler against the embedded local OSS: what a new user sees on a first `replay` of an event they did not write.
 */
import OSS from 'ali-oss';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log';
import { loadEventFiles } from '../../src/local-run/event-files';
import { EventFileError } from '../../src/local-run/errors';
import { replay, replayFailed, type EventReplay, type ReplayReport } from '../../src/local-run/replay';
import { startLocalOss, type LocalOss } from '../../src/local-oss';

const PUBLIC = join(__dirname, '..', 'fixtures', 'public-events');
const quiet = () => createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** Per file: where the function must run, and the event's own eTag. */
const EXPECTED = {
  'fc3-oss.json': { region: 'cn-shanghai', accountId: '123456789', bucket: 'testbucket', key: 'image/a.jpg', eTag: '688A7BF4F233DC9C88A80BF985AB7329' },
  'fc-docs-oss-trigger.json': { region: 'cn-hangzhou', accountId: '123456789', bucket: 'testbucket', key: 'source/a.png', eTag: '688A7BF4F233DC9C88A80BF985AB****' },
  'fc-docs-oss-trigger-usermeta.json': { region: 'cn-hangzhou', accountId: '123456789', bucket: 'testbucket', key: 'source/a.png', eTag: '688A7BF4F233DC9C88A80BF985AB****' },
  'knative-oss-cn-beijing.json': { region: 'cn-beijing', accountId: '1041208914252405', bucket: 'testjian', key: 'timg.jpg', eTag: '137138904F2E18D307D04EB38EA44CDA' },
} as const;
type Name = keyof typeof EXPECTED;
const NAMES = Object.keys(EXPECTED) as Name[];

const run = async (paths: string[], extra: { keepEtag?: boolean } = {}): Promise<ReplayReport> =>
  replay({ files: await loadEventFiles(paths), env: { SSE_ALGORITHM: 'AES256' }, logger: quiet(), ...extra });

/** Unencrypted before, encrypted after, the event pointed at the seeded object, in the event's own region/account. */
function expectEncryptedInItsOwnScope(e: EventReplay, name: Name): void {
  const want = EXPECTED[name];
  expect(e.error).toBeUndefined();
  expect(e).toMatchObject({ region: want.region, accountId: want.accountId });
  expect(e.objects).toHaveLength(1);
  const o = e.objects[0]!;
  expect(o).toMatchObject({ bucket: want.bucket, key: want.key, seeded: 'normal' });
  expect(o.before.exists).toBe(true);
  expect(o.before.encryption).toBeUndefined();
  expect(o.result).toMatchObject({ outcome: 'encrypted', reason: 'unencrypted', algorithm: 'AES256' });
  expect(o.after.encryption).toBe('AES256');
  expect(o.eventMismatch).toEqual({ eTag: { event: want.eTag, seeded: o.before.etag }, substituted: true });
  // Nothing lost by the rewrite.
  expect(o.after).toMatchObject({ contentType: o.before.contentType, size: o.before.size, etag: o.before.etag, userMeta: o.before.userMeta, tags: o.before.tags });
}

describe('public events, each replayed alone', () => {
  test.each(NAMES)('%s: seeded plaintext → encrypted, with the seeded ETag substituted', async (name) => {
    const r = await run([join(PUBLIC, name)]);
    expect(r.totals).toMatchObject({ events: 1, objects: 1, encrypted: 1, skipped: 0, failed: 0, eventErrors: 0 });
    expectEncryptedInItsOwnScope(r.events[0]!, name);
  });

  test('the FC docs example with objectMeta: its Content-Type and x-oss-meta-* are seeded and kept', async () => {
    const o = (await run([join(PUBLIC, 'fc-docs-oss-trigger-usermeta.json')])).events[0]!.objects[0]!;
    expect(o.before).toMatchObject({ contentType: 'application/zip', userMeta: { 'x-oss-meta-last-modified': '20250213' } });
    expect(o.after).toMatchObject({ contentType: 'application/zip', userMeta: { 'x-oss-meta-last-modified': '20250213' } });
  });
});

describe('public events, all together (one directory)', () => {
  let r: ReplayReport;
  beforeAll(async () => { r = await run([PUBLIC]); });

  test('every event runs in its own region and account, none is refused', () => {
    expect(r.events.map((e) => e.file)).toEqual([...NAMES].sort().map((n) => join(PUBLIC, n)));
    for (const e of r.events) expectEncryptedInItsOwnScope(e, e.file.split('/').pop() as Name);
    expect(r.totals).toMatchObject({ events: 4, objects: 4, encrypted: 4, failed: 0, eventErrors: 0 });
    expect(replayFailed(r)).toBe(false);
  });

  test('one emulator per region/account, like one deployment per bucket region', () => {
    expect(r.contexts.map((c) => `${c.region}/${c.accountId}`)).toEqual(['cn-hangzhou/123456789', 'cn-shanghai/123456789', 'cn-beijing/1041208914252405']);
    expect(new Set(r.contexts.map((c) => c.endpoint)).size).toBe(3);
  });
});

describe('keepEtag: the stale-event path on purpose', () => {
  test('fc3 template untouched → skipped as replaced, object unchanged', async () => {
    const r = await run([join(PUBLIC, 'fc3-oss.json')], { keepEtag: true });
    const o = r.events[0]!.objects[0]!;
    expect(o.result).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(o.eventMismatch).toEqual({ eTag: { event: EXPECTED['fc3-oss.json'].eTag, seeded: o.before.etag }, substituted: false });
    expect(o.after).toEqual(o.before);
  });
});

describe('events that need more than an eTag', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'public-events-')); });

  test('size 0 in the event: replay seeds 4 KiB and substitutes the size too', async () => {
    const doc = JSON.parse(await readFile(join(PUBLIC, 'fc3-oss.json'), 'utf8')) as { events: Array<{ oss: { object: { size: number } } }> };
    doc.events[0]!.oss.object.size = 0;
    const path = join(dir, 'size-zero.json');
    await writeFile(path, JSON.stringify(doc));
    const o = (await run([path])).events[0]!.objects[0]!;
    expect(o.eventMismatch).toMatchObject({ size: { event: 0, seeded: 4096 }, substituted: true });
    expect(o.result).toMatchObject({ outcome: 'encrypted' });
  });

  test('a masked bucket name (EventBridge example) is refused, naming the file and the masking', async () => {
    const path = join(PUBLIC, 'masked', 'eventbridge-dataworks-oss.json');
    const err = await loadEventFiles([path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventFileError);
    expect(err).toMatchObject({ path, code: 'EVENT_FILE_INVALID' });
    expect((err as Error).message).toMatch(/bucket\.name "\*\*\*\*\*\*" is not a valid OSS bucket name.*looks masked/);
  });
});

describe('against another OSS (remote): the event is never rewritten, nothing is seeded', () => {
  let oss: LocalOss;
  let client: OSS;
  beforeAll(async () => {
    oss = await startLocalOss({ region: 'cn-shanghai', buckets: ['testbucket'] });
    client = new OSS({ endpoint: oss.endpoint, region: 'oss-cn-shanghai', accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, bucket: 'testbucket' });
  });
  afterAll(() => oss.close());

  test('fc3 template vs an existing image/a.jpg with other bytes: skipped as replaced, no write at all', async () => {
    await client.put('image/a.jpg', Buffer.from('the user\'s own bytes'), { headers: { 'Content-Type': 'image/jpeg' } });
    oss.requestLog.clear();
    const r = await replay({
      files: await loadEventFiles([join(PUBLIC, 'fc3-oss.json')]), env: {}, logger: quiet(),
      remote: { endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } },
    });
    const o = r.events[0]!.objects[0]!;
    expect(o.seeded).toBeUndefined();
    expect(o.eventMismatch).toMatchObject({ eTag: { event: EXPECTED['fc3-oss.json'].eTag }, substituted: false });
    expect(o.result).toMatchObject({ outcome: 'skipped', reason: 'replaced' });
    expect(o.after).toEqual(o.before);
    expect(oss.requestLog.entries().filter((e) => e.method !== 'GET' && e.method !== 'HEAD')).toEqual([]);
    expect(oss.buckets).toEqual(['testbucket']);
  });
});
