/**
 * The backfill against the local OSS through the real ali-oss client (signed requests over HTTP):
 * mixed bucket, dry run, abort + resume from the checkpoint, faults, manifest input, bad input.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type OSS from 'ali-oss';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { loadPolicy } from '../../src/config';
import { createLogger } from '../../src/log';
import { runBackfill, type BackfillOptions } from '../../src/backfill/run';
import { readCheckpoint } from '../../src/backfill/checkpoint';
import { CheckpointError, ListingError, ManifestError } from '../../src/backfill/errors';
import { writeInventory } from './inventory-fixture';

type Loose = OSS & {
  append(name: string, file: Buffer, opts?: object): Promise<unknown>;
  putObjectTagging(name: string, tag: Record<string, string>): Promise<unknown>;
};

const silent = createLogger({ level: 'silent' });
const CMK = '0b3a1e6c-5d7f-4c1e-9a2b-backfill0001';
const dir = mkdtempSync(join(tmpdir(), 'bf-it-'));

function jsonl(file: string): Array<Record<string, string | number>> {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string | number>);
}

/** CopyObject requests per key from the emulator's request log (successful or not). */
function copiesPerKey(oss: LocalOss, bucket: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of oss.requestLog.entries()) {
    if (e.bucket === bucket && e.op === 'CopyObject' && e.key !== undefined && e.status === 200) m.set(e.key, (m.get(e.key) ?? 0) + 1);
  }
  return m;
}

const WRITE_OPS = new Set(['PutObject', 'CopyObject', 'AppendObject', 'DeleteObject', 'PutObjectAcl', 'PutObjectTagging', 'InitiateMultipartUpload', 'UploadPartCopy', 'UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload']);

describe('backfill against the local OSS', () => {
  let oss: LocalOss;
  const opts = (bucket: string, extra: Partial<BackfillOptions> = {}, env: Record<string, string> = {}): BackfillOptions => ({
    bucket,
    connection: { region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } },
    policy: loadPolicy({ RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', ...env }),
    logger: silent,
    concurrency: 8,
    pageSize: 7, // several ListObjectsV2 pages even for small buckets
    ...extra,
  });

  beforeAll(async () => {
    oss = await startTestOss({ kms: { keys: [{ id: CMK }] }, buckets: ['bf-mixed', 'bf-dry', 'bf-resume', 'bf-faults', 'bf-manifest', 'bf-listfail', 'bf-overlap'] });
  });
  afterAll(async () => oss.close());

  async function seedMixed(bucket: string): Promise<Loose> {
    const c = ossClient(oss, bucket) as Loose;
    for (let i = 0; i < 12; i++) {
      await c.put(`plain/${i}.txt`, Buffer.from(`plaintext ${i}`), {
        headers: { 'Content-Type': 'text/x-custom', 'Cache-Control': 'max-age=60', 'Content-Disposition': 'attachment; filename="p.txt"', 'Content-Language': 'fr' },
        meta: { owner: `u${i}`, team: 'data' },
      } as unknown as OSS.PutObjectOptions);
    }
    await c.putObjectTagging('plain/0.txt', { project: 'alpha', tier: 'gold' });
    await c.put('plain/dir with space/中文 +%.bin', Buffer.from('odd key'));
    for (let i = 0; i < 3; i++) await c.put(`enc/${i}`, Buffer.from('already'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
    await c.append('logs/app.log', Buffer.from('line 1\n'));
    await c.put('cold/archived.bin', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } } as OSS.PutObjectOptions);
    for (let i = 0; i < 2; i++) await c.put(`public/${i}.html`, Buffer.from('<p>hi</p>'), { mime: 'text/html' } as OSS.PutObjectOptions);
    for (let i = 0; i < 2; i++) await c.put(`secret/${i}.csv`, Buffer.from('a,b\n'));
    await c.putACL('plain/1.txt', 'public-read');
    return c;
  }

  const RULES = JSON.stringify([{ prefix: 'public/', skip: true }, { prefix: 'secret/', algorithm: 'KMS', kmsKeyId: CMK }]);

  it('a mixed bucket ends with exactly the plaintext objects encrypted, metadata intact, one report row each', async () => {
    const bucket = 'bf-mixed';
    const c = await seedMixed(bucket);
    const plainKeys = [...Array.from({ length: 12 }, (_, i) => `plain/${i}.txt`), 'plain/dir with space/中文 +%.bin'];
    const before = new Map<string, Record<string, string>>();
    for (const k of plainKeys) before.set(k, (await c.head(k)).res.headers as Record<string, string>);
    const tagsBefore = await (c as unknown as { getObjectTagging(k: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging('plain/0.txt');
    oss.requestLog.clear();

    const report = join(dir, 'mixed.csv');
    const summary = await runBackfill(opts(bucket, { reportFile: report }, { SSE_RULES: RULES }));
    expect(summary).toMatchObject({ complete: true, aborted: false, encrypted: 15, skipped: 7, failed: 0, seen: 22 });

    for (const k of plainKeys) {
      const h = (await c.head(k)).res.headers as Record<string, string>;
      const b = before.get(k) as Record<string, string>;
      expect(h['x-oss-server-side-encryption']).toBe('AES256');
      for (const name of ['content-type', 'cache-control', 'content-disposition', 'content-language', 'content-length', 'x-oss-meta-owner', 'x-oss-meta-team', 'x-oss-storage-class']) {
        expect([k, name, h[name]]).toEqual([k, name, b[name]]);
      }
      expect((await c.get(k)).content.toString()).toBe(k.startsWith('plain/dir') ? 'odd key' : `plaintext ${k.match(/\d+/)?.[0]}`);
    }
    expect((await c.getACL('plain/1.txt')).acl).toBe('public-read');
    for (let i = 0; i < 2; i++) {
      const h = (await c.head(`secret/${i}.csv`)).res.headers as Record<string, string>;
      expect([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id']]).toEqual(['KMS', CMK]);
    }
    const tagsAfter = await (c as unknown as { getObjectTagging(k: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging('plain/0.txt');
    expect(tagsAfter.tag).toEqual(tagsBefore.tag);
    for (const k of ['logs/app.log', 'cold/archived.bin', 'public/0.html', 'public/1.html']) {
      expect((await c.head(k)).res.headers['x-oss-server-side-encryption' as keyof object]).toBeUndefined();
    }
    const copies = copiesPerKey(oss, bucket);
    expect([...copies.keys()].sort()).toEqual([...plainKeys, 'secret/0.csv', 'secret/1.csv'].sort());
    expect([...copies.values()].every((n) => n === 1)).toBe(true);

    const lines = readFileSync(report, 'utf8').trim().split('\r\n'); // RFC 4180 line ends
    expect(lines[0]).toBe('key,outcome,reason,algorithm,kmsKeyId,size,error');
    const rows = new Map(lines.slice(1).map((l) => {
      const cells = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((x) => x.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
      return [cells[0], cells] as const;
    }));
    expect(rows.size).toBe(22);
    expect(lines.length - 1).toBe(22);
    expect(rows.get('secret/0.csv')?.slice(1, 6)).toEqual(['encrypted', 'unencrypted', 'KMS', CMK, '4']);
    for (const k of plainKeys) expect(rows.get(k)?.slice(1, 4)).toEqual(['encrypted', 'unencrypted', 'AES256']);
    expect(rows.get('plain/0.txt')?.[5]).toBe(String('plaintext 0'.length));
    for (let i = 0; i < 3; i++) expect(rows.get(`enc/${i}`)?.slice(1, 3)).toEqual(['skipped', 'already-encrypted']);
    expect(rows.get('logs/app.log')?.slice(1, 3)).toEqual(['skipped', 'appendable']);
    expect(rows.get('cold/archived.bin')?.slice(1, 3)).toEqual(['skipped', 'archive-not-restored']);
    expect(rows.get('public/0.html')?.slice(1, 3)).toEqual(['skipped', 'excluded-by-rule']);
  });

  it('a dry run changes nothing: no write reaches OSS, the report says what would happen', async () => {
    const bucket = 'bf-dry';
    await seedMixed(bucket);
    oss.requestLog.clear();
    const report = join(dir, 'dry.jsonl');
    const summary = await runBackfill(opts(bucket, { reportFile: report, dryRun: true }, { SSE_RULES: RULES }));
    expect(summary).toMatchObject({ complete: true, dryRun: true, encrypted: 0, failed: 0, seen: 22, wouldEncrypt: 15 });
    const ops = oss.requestLog.entries().filter((e) => e.bucket === bucket).map((e) => e.op);
    expect(ops.filter((op) => WRITE_OPS.has(op))).toEqual([]);
    expect(ops).toContain('ListObjectsV2');
    const rows = jsonl(report);
    expect(rows).toHaveLength(22);
    expect(rows.filter((r) => r.reason === 'dry-run').map((r) => r.key).sort()).toEqual(
      [...Array.from({ length: 12 }, (_, i) => `plain/${i}.txt`), 'plain/dir with space/中文 +%.bin', 'secret/0.csv', 'secret/1.csv'].sort(),
    );
  });

  it('a run aborted midway and resumed from its checkpoint processes every object exactly once', async () => {
    const bucket = 'bf-resume';
    const c = ossClient(oss, bucket);
    const keys = Array.from({ length: 200 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    // Backfilled objects are old: no settle HEAD (src/core/guard.ts) may depend on the wall clock here.
    await oss.inspect.backdate(bucket, 2000);
    oss.requestLog.clear();
    const checkpoint = join(dir, 'resume-cp.json');
    const report = join(dir, 'resume.jsonl');

    // Stop after the 60th per-object log line (the core logs one line per finished object).
    const ac = new AbortController();
    let lines = 0;
    const counting = createLogger({
      level: 'info',
      destination: new Writable({
        write(_chunk, _enc, cb) {
          if (++lines === 60) ac.abort();
          cb();
        },
      }),
    });
    const first = await runBackfill(opts(bucket, { checkpointFile: checkpoint, reportFile: report, signal: ac.signal, logger: counting, concurrency: 4 }));
    expect(first).toMatchObject({ aborted: true, complete: false });
    expect(first.encrypted).toBeGreaterThanOrEqual(60);
    expect(first.encrypted).toBeLessThan(200);
    const cp = await readCheckpoint(checkpoint);
    expect(cp).toMatchObject({ complete: false, inFlight: [] });
    expect(cp!.position.ordinal).toBe(first.encrypted); // every started object finished: the pool drains on abort
    expect(jsonl(report)).toHaveLength(first.encrypted);

    const second = await runBackfill(opts(bucket, { checkpointFile: checkpoint, reportFile: report, concurrency: 4 }));
    expect(second).toMatchObject({ complete: true, resumed: true, encrypted: 200, failed: 0 });
    expect(second.finishedThisRun).toBe(200 - first.encrypted);

    const copies = copiesPerKey(oss, bucket);
    expect(copies.size).toBe(200);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    // the resumed listing started after the checkpoint: no key was even HEADed twice
    const heads = oss.requestLog.entries().filter((e) => e.bucket === bucket && e.op === 'HeadObject').length;
    expect(heads).toBe(200);
    const rows = jsonl(report);
    expect(rows.map((r) => r.key).sort()).toEqual(keys);
    expect(rows.every((r) => r.outcome === 'encrypted')).toBe(true);

    // running again with the finished checkpoint does nothing at all
    oss.requestLog.clear();
    const third = await runBackfill(opts(bucket, { checkpointFile: checkpoint, reportFile: report }));
    expect(third).toMatchObject({ complete: true, finishedThisRun: 0 });
    expect(oss.requestLog.entries().filter((e) => e.bucket === bucket)).toEqual([]);
  });

  it('injected 503s and 500s are retried and counted; 503s shrink the pool; every object ends encrypted', async () => {
    const bucket = 'bf-faults';
    const c = ossClient(oss, bucket);
    const keys = Array.from({ length: 80 }, (_, i) => `f/${i}`);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    oss.requestLog.clear();
    oss.faults.set([
      { op: 'CopyObject', rate: 0.25, kind: 'http503' },
      { op: 'HeadObject', rate: 0.15, kind: 'http500' },
    ], 42);
    try {
      const summary = await runBackfill(opts(bucket, { concurrency: 16 }, { RETRY_MAX_ATTEMPTS: '10' }));
      const log = oss.requestLog.entries().filter((e) => e.bucket === bucket);
      const faults503 = log.filter((e) => e.fault === 'http503').length;
      const faults500 = log.filter((e) => e.fault === 'http500').length;
      expect(faults503).toBeGreaterThan(0);
      expect(faults500).toBeGreaterThan(0);
      expect(summary).toMatchObject({ complete: true, encrypted: 80, failed: 0 });
      expect(summary.retries).toBe(faults503 + faults500);
      expect(summary.throttled).toBe(faults503);
      expect(summary.lowestConcurrency).toBeLessThan(16);
    } finally {
      oss.faults.clear();
    }
    for (const k of keys) expect((await c.head(k)).res.headers['x-oss-server-side-encryption' as keyof object]).toBe('AES256');
  });

  it('a listing that fails midway stops the run cleanly; the checkpoint resumes it to completion', async () => {
    const bucket = 'bf-listfail';
    const c = ossClient(oss, bucket);
    const keys = Array.from({ length: 60 }, (_, i) => `l/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    oss.requestLog.clear();
    const checkpoint = join(dir, 'listfail-cp.json');
    const report = join(dir, 'listfail.jsonl');
    let done = 0;
    const breaker = createLogger({
      level: 'info',
      destination: new Writable({
        write(_c, _e, cb) {
          // after 10 objects, every further ListObjectsV2 answers 500 (beyond the retries)
          if (++done === 10) oss.faults.set([{ op: 'ListObjectsV2', rate: 1, kind: 'http500' }], 1);
          cb();
        },
      }),
    });
    try {
      const err = await runBackfill(opts(bucket, { checkpointFile: checkpoint, reportFile: report, logger: breaker, concurrency: 2, pageSize: 5 }, { RETRY_MAX_ATTEMPTS: '2' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListingError);
      expect((err as Error).message).toMatch(/Cannot list bucket "bf-listfail": InternalError \(HTTP 500/);
    } finally {
      oss.faults.clear();
    }
    const cp = await readCheckpoint(checkpoint);
    expect(cp).toMatchObject({ complete: false, inFlight: [] });
    const firstRows = jsonl(report).length;
    expect(firstRows).toBe(cp!.counts.encrypted);
    expect(firstRows).toBeGreaterThanOrEqual(10);
    expect(firstRows).toBeLessThan(60);

    const summary = await runBackfill(opts(bucket, { checkpointFile: checkpoint, reportFile: report, pageSize: 5 }));
    expect(summary).toMatchObject({ complete: true, encrypted: 60 });
    const copies = copiesPerKey(oss, bucket);
    expect([...copies.keys()].sort()).toEqual(keys);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    expect(jsonl(report).map((r) => r.key).sort()).toEqual(keys);
  });

  it('listing overlaps with processing: the next page is fetched while the current one is being encrypted', async () => {
    const bucket = 'bf-overlap';
    const c = ossClient(oss, bucket);
    const keys = Array.from({ length: 30 }, (_, i) => `o/${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    oss.requestLog.clear();
    oss.setLatency(5);
    try {
      await runBackfill(opts(bucket, { pageSize: 10, concurrency: 2 }));
    } finally {
      oss.setLatency(0);
    }
    const log = oss.requestLog.entries().filter((e) => e.bucket === bucket);
    const lists = log.map((e, i) => (e.op === 'ListObjectsV2' ? i : -1)).filter((i) => i >= 0);
    expect(lists).toHaveLength(3);
    const firstCopyOfPage = (p: number) => log.findIndex((e) => e.op === 'CopyObject' && e.key === keys[p * 10]);
    // Page 2 was fetched before even the first object of page 1 was copied (without the prefetch it would
    // be requested only when the pool ran out of page 1, ~8 objects later); likewise page 3.
    expect(lists[1]).toBeLessThan(firstCopyOfPage(0));
    expect(lists[2]).toBeLessThan(firstCopyOfPage(1));
  });

  it('reads the keys from an inventory manifest instead of listing', async () => {
    const bucket = 'bf-manifest';
    const c = ossClient(oss, bucket);
    const inInventory = ['m/a.txt', 'm/b c.txt', 'm/中文.txt', 'm/gone.txt'];
    for (const k of [...inInventory.filter((k) => k !== 'm/gone.txt'), 'm/not-in-inventory.txt']) await c.put(k, Buffer.from(k));
    const inv = writeInventory(bucket, [inInventory.slice(0, 2).map((key) => ({ key })), inInventory.slice(2).map((key) => ({ key }))]);
    oss.requestLog.clear();
    const report = join(dir, 'manifest.jsonl');
    const progress: number[] = [];
    const summary = await runBackfill(opts(bucket, { manifestFile: inv.manifest, reportFile: report, onProgress: (p) => p.total !== undefined && progress.push(p.total) }));
    expect(summary).toMatchObject({ complete: true, total: 4, encrypted: 3, skipped: 1 });
    expect(progress).toContain(4);
    expect(oss.requestLog.entries().some((e) => e.op === 'ListObjectsV2')).toBe(false);
    expect((await c.head('m/not-in-inventory.txt')).res.headers['x-oss-server-side-encryption' as keyof object]).toBeUndefined();
    expect((await c.head('m/中文.txt')).res.headers['x-oss-server-side-encryption' as keyof object]).toBe('AES256');
    expect(jsonl(report).find((r) => r.key === 'm/gone.txt')).toMatchObject({ outcome: 'skipped', reason: 'gone' });
  });

  describe('bad input: clear error, nothing written', () => {
    it('a missing bucket', async () => {
      const report = join(dir, 'nobucket.csv');
      const checkpoint = join(dir, 'nobucket-cp.json');
      const err = await runBackfill(opts('no-such-bucket', { reportFile: report, checkpointFile: checkpoint })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListingError);
      expect((err as ListingError).message).toMatch(/Cannot list bucket "no-such-bucket": NoSuchBucket \(HTTP 404.*check --bucket/);
      expect(existsSync(report)).toBe(false);
      expect(existsSync(checkpoint)).toBe(false);
    });

    it('wrong credentials', async () => {
      const o = opts('bf-mixed');
      o.connection = { ...o.connection, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: 'wrong-secret' } };
      const err = await runBackfill(o).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListingError);
      expect((err as Error).message).toMatch(/SignatureDoesNotMatch.*ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
      expect((err as Error).message).not.toContain('wrong-secret');
      const o2 = opts('bf-mixed');
      o2.connection = { ...o2.connection, credentials: { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' } };
      await expect(runBackfill(o2)).rejects.toThrow(/InvalidAccessKeyId.*ALIBABA_CLOUD_ACCESS_KEY_ID/);
    });

    it('an unreadable checkpoint leaves the report alone', async () => {
      const report = join(dir, 'keep.csv');
      writeFileSync(report, 'precious\n');
      const checkpoint = join(dir, 'garbage-cp.json');
      writeFileSync(checkpoint, 'garbage');
      await expect(runBackfill(opts('bf-mixed', { reportFile: report, checkpointFile: checkpoint }))).rejects.toThrow(CheckpointError);
      expect(readFileSync(report, 'utf8')).toBe('precious\n');
      expect(readFileSync(checkpoint, 'utf8')).toBe('garbage');
    });

    it('a bucket outside ALLOWED_BUCKETS is refused once, before any request', async () => {
      const before = oss.requestLog.entries().length;
      await expect(runBackfill(opts('bf-mixed', {}, { ALLOWED_BUCKETS: 'other-bucket' }))).rejects.toThrow(
        /Invalid backfill options: bucket "bf-mixed" is not in ALLOWED_BUCKETS \(other-bucket\)/,
      );
      expect(oss.requestLog.entries().length).toBe(before);
    });

    it('an unreadable manifest', async () => {
      const before = oss.requestLog.entries().length;
      await expect(runBackfill(opts('bf-mixed', { manifestFile: join(dir, 'nope', 'manifest.json') }))).rejects.toThrow(ManifestError);
      expect(oss.requestLog.entries().length).toBe(before);
    });
  });
});
