/**
 * The audit end to end against the local OSS over HTTP (real ali-oss signatures), on a bucket of mixed objects
 * whose ground truth the test counts from what it uploaded: from an inventory the local OSS wrote (no object
 * request at all), from a listing with a HEAD per object (algorithms and KMS keys too), from a uniform sample
 * (estimates with their sampling error), and from an inventory older than the bucket.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OSS from 'ali-oss';
import { startTestOss, ossClient, type OssClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { loadPolicy } from '../../src/config';
import { runAudit, type AuditOptions, type AuditReport } from '../../src/audit/run';
import { AuditInventoryError, AuditOptionsError, AuditStoppedError } from '../../src/audit/errors';
import { KEY_A, KEY_B, mixedSpecs, topPrefix, truthOf, upload, type Spec } from './mixed-bucket';

const OBJECT_OPS = /Object|Part|Multipart|Acl|Tagging|Symlink|Restore/;

describe('audit against the local OSS', () => {
  let oss: LocalOss;
  let c: OssClient;
  const bucket = 'audit-mixed';
  const specs = mixedSpecs();
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const opts = (extra: Partial<AuditOptions> = {}): AuditOptions => ({
    bucket,
    connection: { region: oss.region, endpoint: oss.endpoint, credentials: { accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret } },
    policy: loadPolicy({ RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5' }),
    concurrency: 8,
    pageSize: 10,
    ...extra,
  });
  const objectRequests = () => oss.requestLog.entries().filter((e) => e.key !== undefined && e.key !== '' && OBJECT_OPS.test(e.op));

  /** Totals, per-prefix and per-class rows compared with the uploaded truth. */
  function expectMatchesTruth(r: AuditReport, truth: Spec[]): void {
    const t = truthOf(truth);
    expect(r.totals).toMatchObject({ ...t, unknownObjects: 0, exact: true });
    const prefixes = [...new Set(truth.map((s) => topPrefix(s.key)))];
    expect(r.byPrefix.map((p) => p.name).sort()).toEqual(prefixes.sort());
    for (const p of r.byPrefix) expect(p).toMatchObject(truthOf(truth, (s) => topPrefix(s.key) === p.name));
    for (const k of r.byStorageClass) expect(k).toMatchObject(truthOf(truth, (s) => s.storageClass === k.name));
    expect(r.byStorageClass.map((k) => k.name).sort()).toEqual([...new Set(truth.map((s) => s.storageClass))].sort());
    // Largest plaintext first.
    const plain = r.byPrefix.map((p) => p.plaintextBytes);
    expect(plain).toEqual([...plain].sort((a, b) => b - a));
    expect(r.byPrefix[0]?.name).toBe('backup/');
  }

  beforeAll(async () => {
    oss = await startTestOss({ buckets: [bucket], kms: { keys: [{ id: KEY_A }, { id: KEY_B }] } });
    c = ossClient(oss, bucket);
    await upload(c, specs);
  });
  afterAll(async () => oss.close());

  it('from an inventory: every figure matches the uploaded truth, with no object request (not even without credentials)', async () => {
    const inv = await oss.inventory(bucket, { dir: join(dir, 'now'), rowsPerFile: 13 });
    oss.requestLog.clear();
    const r = await runAudit({ bucket, manifestFile: inv.manifest, policy: loadPolicy({}) });
    expect(oss.requestLog.entries()).toEqual([]);
    expect(r.requests).toEqual({ object: 0, bucket: 0 });
    expectMatchesTruth(r, specs);
    expect(r.byAlgorithm).toBeNull(); // an inventory never says which algorithm
    expect(r.source).toMatchObject({ kind: 'inventory', manifest: inv.manifest });
    // With credentials it only measures the round trip with bucket-level requests.
    const timed = await runAudit(opts({ manifestFile: inv.manifest, pageSize: undefined }));
    expect(objectRequests()).toEqual([]);
    expect(timed.estimate.roundTripMs).toBeGreaterThan(0);
    expect(timed.estimate.local?.seconds).toBeGreaterThan(0);
  });

  it('the backfill estimate counts the requests a backfill makes for the plaintext part', async () => {
    const inv = await oss.inventory(bucket, { dir: join(dir, 'estimate') });
    const r = await runAudit({ bucket, manifestFile: inv.manifest, policy: loadPolicy({}), roundTripMs: 10 });
    const t = truthOf(specs);
    const archived = specs.filter((x) => x.sse === 'none' && x.storageClass === 'Archive').length;
    expect(archived).toBeGreaterThan(0);
    const toEncrypt = t.plaintextObjects - archived;
    expect(r.estimate).toMatchObject({ plaintextObjects: t.plaintextObjects, archivedPlaintext: archived, toEncrypt });
    // Per plaintext object: HEAD, GetObjectAcl, CopyObject (all below the multipart threshold); an archived one only its
    // HEAD (skipped as archive-not-restored); encrypted rows cost nothing.
    expect(r.estimate.fromInventory.requests).toBe(toEncrypt * 3 + archived);
    // From a listing: the LIST pages, a HEAD for every object, then the ACL read and the copy for plaintext ones.
    expect(r.estimate.fromListing.requests).toBe(Math.ceil(t.objects / 1000) + t.objects + toEncrypt * 2);
    expect(r.estimate.local).toEqual({ concurrency: 64, seconds: (Math.ceil(toEncrypt / 64) * 3 * 10) / 1000 });
    const noAcl = await runAudit({ bucket, manifestFile: inv.manifest, policy: loadPolicy({ PRESERVE_ACL: 'false' }) });
    expect(noAcl.estimate.fromInventory.requests).toBe(toEncrypt * 2 + archived);
  });

  it('from a listing with a HEAD per object: the same figures, plus algorithms and KMS keys', async () => {
    oss.requestLog.clear();
    const r = await runAudit(opts());
    expectMatchesTruth(r, specs);
    const heads = oss.requestLog.entries().filter((e) => e.op === 'HeadObject');
    expect(heads).toHaveLength(specs.length);
    expect(r.requests.object).toBe(specs.length);
    const count = (f: (s: Spec) => boolean) => specs.filter(f).length;
    const algo = Object.fromEntries((r.byAlgorithm ?? []).map((a) => [a.name, a.objects]));
    expect(algo).toEqual({
      none: count((s) => s.sse === 'none'),
      AES256: count((s) => s.sse === 'AES256'),
      SM4: count((s) => s.sse === 'SM4'),
      KMS: count((s) => s.sse === 'KMS-A' || s.sse === 'KMS-B'),
      'KMS+SM4': count((s) => s.sse === 'KMS+SM4'),
    });
    const keys = Object.fromEntries((r.byKmsKey ?? []).map((k) => [k.name, k.objects]));
    expect(keys).toEqual({ [KEY_A]: count((s) => s.sse === 'KMS-A' || s.sse === 'KMS+SM4'), [KEY_B]: count((s) => s.sse === 'KMS-B') });
  });

  it('--depth 2 groups by two levels; --prefix limits the listing', async () => {
    const r = await runAudit(opts({ depth: 2, prefix: 'logs/' }));
    expect(r.byPrefix.map((p) => p.name).sort()).toEqual(['logs/2026/']);
    expect(r.totals).toMatchObject(truthOf(specs, (s) => s.key.startsWith('logs/')));
    const deep = await runAudit(opts({ depth: 2 }));
    expect(deep.byPrefix.find((p) => p.name === 'deep/er/')).toMatchObject(truthOf(specs, (s) => s.key.startsWith('deep/er/')));
  });

  it('--sample N: HEADs only N objects, totals exact, shares estimated with a 95% interval that holds the truth', async () => {
    oss.requestLog.clear();
    const r = await runAudit(opts({ sample: 20, seed: 7 }));
    expect(oss.requestLog.entries().filter((e) => e.op === 'HeadObject')).toHaveLength(20);
    const t = truthOf(specs);
    expect(r.totals.objects).toBe(t.objects);
    expect(r.totals.bytes).toBe(t.bytes);
    expect(r.totals.exact).toBe(false);
    const s = r.sampling!;
    expect(s).toMatchObject({ sampled: 20, population: t.objects, seed: 7, confidence: 0.95 });
    const share = t.plaintextObjects / t.objects;
    expect(s.plaintextObjectShare.low).toBeLessThanOrEqual(share);
    expect(s.plaintextObjectShare.high).toBeGreaterThanOrEqual(share);
    expect(s.plaintextObjectShare.standardError).toBeGreaterThan(0);
    // The same seed draws the same sample.
    const again = await runAudit(opts({ sample: 20, seed: 7 }));
    expect(again.sampling?.plaintextObjectShare).toEqual(s.plaintextObjectShare);
    // A sample as large as the bucket is the full audit, exact, with zero error.
    const full = await runAudit(opts({ sample: 1000 }));
    expectMatchesTruth(full, specs);
    expect(full.sampling?.plaintextObjectShare.standardError).toBe(0);
  });

  it('the requests the audit reports are the requests the server saw, retries of listing pages and HEADs included', async () => {
    oss.requestLog.clear();
    oss.faults.set([{ op: 'ListObjectsV2', rate: 1, kind: 'http503', times: 2 }, { op: 'HeadObject', rate: 1, kind: 'http500', times: 3 }]);
    let r: AuditReport;
    try {
      r = await runAudit(opts({ roundTripMs: 1 }));
    } finally {
      oss.faults.clear();
    }
    const seen = oss.requestLog.entries().filter((e) => e.bucket === bucket);
    expect(r.headErrors).toBe(0);
    expect(r.requests.object).toBe(seen.filter((e) => e.op === 'HeadObject').length);
    expect(r.requests.bucket).toBe(seen.filter((e) => /^ListObjects/.test(e.op)).length);
    expect(r.requests.bucket).toBe(Math.ceil(specs.length / 10) + 2);
  });

  it('--sample N HEADs the sample in a shuffled order, not in listing order (a stopped sample stays uniform)', async () => {
    oss.requestLog.clear();
    // A reservoir as large as the bucket keeps every object in listing order; one HEAD at a time shows the order.
    await runAudit(opts({ sample: 1000, seed: 3, concurrency: 1 }));
    const headed = oss.requestLog.entries().filter((e) => e.op === 'HeadObject').map((e) => e.key);
    const listed = oss.requestLog.entries().filter((e) => /^ListObjects/.test(e.op)).length;
    expect(listed).toBeGreaterThan(0);
    expect(headed).toHaveLength(specs.length);
    expect([...headed].sort()).toEqual(specs.map((x) => x.key).sort());
    expect(headed).not.toEqual([...headed].sort());
  });

  it('an inventory older than the bucket: the inventory tells the state at its scan; a listing tells now', async () => {
    const b = 'audit-stale';
    await oss.createBucket(b);
    const sc = ossClient(oss, b);
    const before = mixedSpecs().filter((_, i) => i % 2 === 0);
    await upload(sc, before);
    const inv = await oss.inventory(b, { dir: join(dir, 'stale') });
    // Since the scan: one deleted, one plaintext re-uploaded encrypted, one encrypted re-uploaded as plaintext, one new.
    const plain = before.find((s) => s.sse === 'none' && !s.key.startsWith('backup/')) as Spec;
    const enc = before.find((s) => s.sse === 'AES256') as Spec;
    const del = before.find((s) => s !== plain && s !== enc) as Spec;
    await sc.delete(del.key);
    await sc.put(plain.key, Buffer.alloc(plain.size, 1), { headers: { 'x-oss-server-side-encryption': 'SM4', 'x-oss-storage-class': plain.storageClass } } as OSS.PutObjectOptions);
    await sc.put(enc.key, Buffer.alloc(enc.size, 1), { headers: { 'x-oss-storage-class': enc.storageClass } } as OSS.PutObjectOptions);
    const added: Spec = { key: 'new/after scan+1%.txt', size: 33, storageClass: 'Standard', sse: 'none' };
    await upload(sc, [added]);
    const now = [...before.filter((s) => s !== del).map((s) => (s === plain ? { ...s, sse: 'SM4' as const } : s === enc ? { ...s, sse: 'none' as const } : s)), added];

    const fromInventory = await runAudit({ bucket: b, manifestFile: inv.manifest, policy: loadPolicy({}) });
    expectMatchesTruth(fromInventory, before);
    expect(fromInventory.source).toMatchObject({ inventoryCreatedAt: expect.any(String) });
    const fromListing = await runAudit(opts({ bucket: b }));
    expectMatchesTruth(fromListing, now);
  });

  it('an object deleted between its listing and its HEAD is not counted; it is reported as gone', async () => {
    const b = 'audit-race';
    await oss.createBucket(b);
    const rc = ossClient(oss, b);
    await rc.put('a/keep', Buffer.from('1'));
    await rc.put('a/victim', Buffer.from('22'));
    oss.requestLog.clear();
    // Every HEAD is held 1 s before it runs (HEADs are sent only after the listing is answered); the victim is
    // deleted as soon as the listing is answered, so well inside that window.
    oss.faults.set([{ op: 'HeadObject', rate: 1, kind: 'slow', delayMs: 1000 }]);
    try {
      const running = runAudit(opts({ bucket: b }));
      while (!oss.requestLog.entries().some((e) => e.op === 'ListObjectsV2' || e.op === 'ListObjects')) await new Promise((r) => setTimeout(r, 5));
      await rc.delete('a/victim');
      const r = await running;
      expect(r.gone).toBe(1);
      expect(r.totals).toMatchObject({ objects: 1, bytes: 1, plaintextObjects: 1, unknownObjects: 0 });
    } finally {
      oss.faults.clear();
    }
  });

  it('stopped while the inventory\'s data files are being checked (MD5 pass): stops there, saying so, instead of reading them all', async () => {
    const inv = await oss.inventory(bucket, { dir: join(dir, 'stop-check'), rowsPerFile: 5 });
    const stop = new AbortController();
    stop.abort();
    const err = await runAudit({ bucket, manifestFile: inv.manifest, policy: loadPolicy({}), signal: stop.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditStoppedError);
    expect((err as Error).message).toMatch(/^stopped while checking the data files of inventory .*manifest\.json \(MD5 and row count\), before any row was counted; nothing to report$/);
  });

  it('bad input: every problem at once, and an inventory without EncryptionStatus names the fix', async () => {
    await expect(runAudit({ bucket: 'Bad_Name', policy: loadPolicy({}), depth: -1, sample: 0 })).rejects.toThrow(AuditOptionsError);
    await expect(runAudit({ bucket: 'Bad_Name', policy: loadPolicy({}), depth: -1, sample: 0 })).rejects.toThrow(/not a valid OSS bucket name.*depth must be.*sample must be.*needs credentials/);
    await expect(runAudit({ bucket, manifestFile: 'x.json', prefix: 'a/', policy: loadPolicy({}) })).rejects.toThrow(/--prefix cannot be combined with --manifest/);
    const inv = await oss.inventory(bucket, { dir: join(dir, 'noenc'), fields: ['Size', 'StorageClass'] });
    const err = await runAudit({ bucket, manifestFile: inv.manifest, policy: loadPolicy({}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditInventoryError);
    expect((err as Error).message).toMatch(/has no EncryptionStatus column; add EncryptionStatus to the inventory rule's optional fields, or audit from a listing/);
  });
});
