/**
 * `oss-auto-encrypt audit` as a user runs it (a child process against the local OSS): bad flags, the terminal
 * report, --json equal to the uploaded truth, --html written, and Ctrl-C (SIGINT) stopping a listing audit
 * after the HEADs in flight with a partial report and exit 130.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type OSS from 'ali-oss';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { KEY_A, KEY_B, mixedSpecs, truthOf, upload } from './mixed-bucket';
import { auditCli } from './run-audit-cli';

describe('audit CLI', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  const specs = mixedSpecs();
  let manifest: string;

  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['cli-audit', 'cli-stop', 'cli-escape'], kms: { keys: [{ id: KEY_A }, { id: KEY_B }] } });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret };
    await upload(ossClient(oss, 'cli-audit'), specs);
    manifest = (await oss.inventory('cli-audit', { dir })).manifest;
  });
  afterAll(async () => oss.close());

  it('bad flags: every problem on one line, exit 2, no stack', async () => {
    const r = await auditCli(['--depth', 'x', '--seed', '3'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^oss-auto-encrypt audit: Invalid audit options: --bucket is required; --region is required.*credentials missing.*--seed only applies with --sample; --depth must be a whole number, got "x"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--manifest --json: the report on stdout equals the uploaded truth; no object request; --html written', async () => {
    oss.requestLog.clear();
    const html = join(dir, 'report.html');
    const r = await auditCli(['--bucket', 'cli-audit', '--manifest', manifest, '--json', '--html', html], {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.totals).toMatchObject(truthOf(specs));
    expect(oss.requestLog.entries()).toEqual([]);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('the terminal report: totals, prefix table with bars (largest plaintext first), estimate', async () => {
    const r = await auditCli(['--bucket', 'cli-audit', '--manifest', manifest, '--rtt-ms', '10'], {});
    expect(r.code).toBe(0);
    const t = truthOf(specs);
    expect(r.stdout).toContain(`${t.objects} objects`);
    expect(r.stdout).toMatch(new RegExp(`plaintext +${t.plaintextObjects} objects`));
    const table = r.stdout.split('By prefix (depth 1), largest plaintext first:\n')[1]?.split('\n\n')[0] ?? '';
    const rows = table.split('\n').slice(1);
    expect(rows[0]).toMatch(/^ {2}backup\/ +5 +5 .*\[░{20}\] +0\.0%$/);
    expect(rows.some((l) => l.startsWith('  数据/'))).toBe(true);
    expect(r.stdout).toMatch(/time here: ~\d/);
    expect(r.stdout).toMatch(/Audit made 0 object requests and 0 bucket requests/);
  });

  it('Ctrl-C during a listing audit: stops after the HEADs in flight, prints the partial report, exit 130', async () => {
    const c = ossClient(oss, 'cli-stop');
    const keys = Array.from({ length: 300 }, (_, i) => `p${i % 3}/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => c.put(k, Buffer.from(k))));
    oss.requestLog.clear();
    oss.setLatency(20);
    try {
      const r = await auditCli(['--bucket', 'cli-stop', '--region', oss.region, '--endpoint', oss.endpoint, '--concurrency', '2', '--json'], env, (child) => {
        const poll = setInterval(() => {
          if (oss.requestLog.entries().filter((e) => e.op === 'HeadObject').length >= 5) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 5);
      });
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/SIGINT: stopping after the HEADs in flight/);
      const report = JSON.parse(r.stdout);
      expect(report.aborted).toBe(true);
      expect(report.totals.objects).toBeGreaterThanOrEqual(5);
      expect(report.totals.objects).toBeLessThan(keys.length);
      // Every object counted was HEADed: nothing is guessed in a stopped run.
      expect(report.totals.unknownObjects).toBe(0);
      expect(report.totals.objects).toBe(oss.requestLog.entries().filter((e) => e.op === 'HeadObject').length);
    } finally {
      oss.setLatency(0);
    }
  });

  it('HEADs that fail: those objects are unknown, the first error is named, exit 1', async () => {
    oss.faults.set([{ op: 'HeadObject', rate: 1, kind: 'http500' }]);
    try {
      const r = await auditCli(['--bucket', 'cli-audit', '--region', oss.region, '--endpoint', oss.endpoint, '--prefix', 'docs/', '--json'], { ...env, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '2' });
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      const docs = specs.filter((x) => x.key.startsWith('docs/')).length;
      expect(report.totals).toMatchObject({ objects: docs, unknownObjects: docs, plaintextObjects: 0, encryptedObjects: 0 });
      expect(report.headErrors).toBe(docs);
      expect(r.stderr).toMatch(new RegExp(`oss-auto-encrypt audit: ${docs} HEADs failed, so ${docs} objects are unknown; the first: InternalError \\(HTTP 500\\) on "docs/.*"\\. Check that the credentials may HEAD objects`));
    } finally {
      oss.faults.clear();
    }
  });

  it('keys with control characters are printed escaped (no raw ESC, no faked lines), from an inventory and in HEAD errors', async () => {
    const c = ossClient(oss, 'cli-escape');
    const evil = ['\u001b[2J\u001b[Hcleared/x.txt', 'ok/line1\nAudit of bucket faked\u0085.txt', 'bidi\u202e/x\u009b.txt'];
    for (const k of evil) await c.put(k, Buffer.from('plain'));
    const inv = (await oss.inventory('cli-escape', { dir: join(dir, 'escape') })).manifest;
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
    const fromInventory = await auditCli(['--bucket', 'cli-escape', '--manifest', inv, '--rtt-ms', '1', '--depth', '2'], {});
    expect(fromInventory.code).toBe(0);
    expect(fromInventory.stdout).not.toMatch(raw);
    expect(fromInventory.stdout).toContain('\\u001b[2J\\u001b[Hcleared/');
    expect(fromInventory.stdout).toContain('bidi\\u202e/');
    expect(fromInventory.stdout.match(/^Audit of bucket/gm)).toHaveLength(1);
    oss.faults.set([{ op: 'HeadObject', rate: 1, kind: 'http500' }]);
    try {
      const r = await auditCli(['--bucket', 'cli-escape', '--region', oss.region, '--endpoint', oss.endpoint, '--prefix', 'ok/', '--concurrency', '1'], { ...env, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '2' });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('listing of prefix "ok/"');
      expect(r.stdout).toContain('on "ok/line1\\u000aAudit of bucket faked\\u0085.txt"');
      expect(r.stdout).not.toMatch(raw);
      expect(r.stdout.match(/^Audit of bucket/gm)).toHaveLength(1);
      expect(r.stderr).toContain('ok/line1\\u000aAudit of bucket faked\\u0085.txt');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      oss.faults.clear();
    }
  });

  it('an all-versions inventory: older versions (also under delete markers) are reported apart, in text, --json and --html', async () => {
    const b = 'cli-versions';
    await oss.createBucket(b);
    const c = ossClient(oss, b);
    await c.putBucketVersioning(b, 'Enabled');
    const aes = { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions;
    await c.put('a/doc.txt', Buffer.alloc(100_000, 1)); // plaintext, then overwritten encrypted
    await c.put('a/doc.txt', Buffer.alloc(10, 2), aes);
    await c.put('b/gone.txt', Buffer.alloc(50_000, 3)); // plaintext, then deleted (a delete marker on top)
    await c.delete('b/gone.txt');
    await c.put('b/enc.txt', Buffer.alloc(20, 4), aes);
    const inv = (await oss.inventory(b, { dir: join(dir, 'versions'), includedVersions: 'All' })).manifest;
    const html = join(dir, 'versions.html');
    const j = await auditCli(['--bucket', b, '--manifest', inv, '--json', '--html', html], {});
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(report.totals).toMatchObject({ objects: 2, bytes: 30, encryptedObjects: 2, plaintextObjects: 0 });
    expect(report.noncurrentVersions).toMatchObject({ objects: 2, bytes: 150_000, plaintextObjects: 2, plaintextBytes: 150_000, encryptedObjects: 0, deleteMarkers: 1 });
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<table id="noncurrent">');
    expect(page).toMatch(/data-field="plaintextBytes" data-value="150000"/);
    const t = await auditCli(['--bucket', b, '--manifest', inv, '--rtt-ms', '1'], {});
    expect(t.stdout).toMatch(/older \(noncurrent\) versions, not in the figures above: 2 versions, 146 KiB; 1 delete marker\n +encrypted +0 versions.*\n +plaintext +2 versions +100\.0% +146 KiB 100\.0%/);
    // A current-versions inventory of the same bucket has no such section.
    const cur = (await oss.inventory(b, { dir: join(dir, 'versions-current') })).manifest;
    expect(JSON.parse((await auditCli(['--bucket', b, '--manifest', cur, '--json'], {})).stdout).noncurrentVersions).toBeUndefined();
  });

  /** A hand-written inventory (manifest.json + one gzip CSV data file), for values the local OSS never writes. */
  function handInventory(name: string, schema: string, rows: string[][]): string {
    const d = join(dir, name);
    mkdirSync(join(d, 'data'), { recursive: true });
    const gz = gzipSync(rows.map((r) => r.map((c) => `"${c}"`).join(',')).join('\n') + '\n');
    writeFileSync(join(d, 'data', 'part.csv.gz'), gz);
    const file = join(d, 'manifest.json');
    writeFileSync(file, JSON.stringify({ creationTimestamp: '1764000000', fileFormat: 'CSV', fileSchema: schema, files: [{ key: 'data/part.csv.gz', MD5checksum: createHash('md5').update(gz).digest('hex') }], sourceBucket: 'cli-audit', version: '2019-09-01' }));
    return file;
  }

  it('EncryptionStatus values that are not true/false (S3-style SSE-KMS, NOT-SSE): exit 1 naming the count and the first', async () => {
    const schema = 'Bucket, Key, Size, StorageClass, ETag, EncryptionStatus';
    const file = handInventory('s3style', schema, [
      ['cli-audit', 'a/1', '10', 'Standard', 'E1', 'true'],
      ['cli-audit', 'a/2', '20', 'Standard', 'E2', 'SSE-KMS'],
      ['cli-audit', 'a/3', '30', 'Standard', 'E3', 'NOT-SSE'],
    ]);
    const r = await auditCli(['--bucket', 'cli-audit', '--manifest', file, '--json'], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^oss-auto-encrypt audit: Inventory manifest .*: 2 rows have an EncryptionStatus that is neither true nor false, the first "SSE-KMS" \(key "a\/2"\); an OSS inventory writes true\/false/);
    // An empty cell is unknown, not an error: the estimate counts a HEAD for it.
    const empty = handInventory('empty-enc', schema, [['cli-audit', 'a/1', '10', 'Standard', 'E1', 'true'], ['cli-audit', 'a/2', '20', 'Standard', 'E2', '']]);
    const e = await auditCli(['--bucket', 'cli-audit', '--manifest', empty, '--json'], {});
    expect(e.code).toBe(0);
    const report = JSON.parse(e.stdout);
    expect(report.totals).toMatchObject({ objects: 2, encryptedObjects: 1, unknownObjects: 1 });
    expect(report.estimate).toMatchObject({ unknownHeads: 1, fromInventory: { requests: 1 } });
  });

  it('an inventory without Size and StorageClass columns: bytes and class are shown as unknown, not 0 B / Standard', async () => {
    const inv = (await oss.inventory('cli-audit', { dir: join(dir, 'nosize'), fields: ['EncryptionStatus'] })).manifest;
    const j = JSON.parse((await auditCli(['--bucket', 'cli-audit', '--manifest', inv, '--json'], {})).stdout);
    expect(j.bytesKnown).toBe(false);
    expect(j.byStorageClass.map((c: { name: string }) => c.name)).toEqual(['(unknown)']);
    const t = await auditCli(['--bucket', 'cli-audit', '--manifest', inv, '--rtt-ms', '1'], {});
    expect(t.code).toBe(0);
    expect(t.stdout).not.toMatch(/\b0 B\b/);
    expect(t.stdout).not.toMatch(/^ {2}Standard /m);
    expect(t.stdout).toMatch(/^ {2}\(unknown\) +\d+ +\d+ +\? +\? /m);
    expect(t.stdout).toMatch(/of objects encrypted \(sizes unknown: the inventory has no Size column\)/);
    const html = join(dir, 'nosize.html');
    await auditCli(['--bucket', 'cli-audit', '--manifest', inv, '--html', html], {});
    expect(readFileSync(html, 'utf8')).toContain('id="bytes-unknown"');
  });

  it('a listing audit of an all-plaintext bucket still has the algorithm breakdown (all "none")', async () => {
    const b = 'cli-allplain';
    await oss.createBucket(b);
    const c = ossClient(oss, b);
    for (const k of ['p/1', 'p/2', 'q/3']) await c.put(k, Buffer.from(k));
    const j = await auditCli(['--bucket', b, '--region', oss.region, '--endpoint', oss.endpoint, '--json'], env);
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(report.byAlgorithm).toEqual([expect.objectContaining({ name: 'none', objects: 3, bytes: 9 })]);
    expect(report.byKmsKey).toEqual([]);
    const t = await auditCli(['--bucket', b, '--region', oss.region, '--endpoint', oss.endpoint], env);
    expect(t.stdout).toMatch(/\nBy algorithm:\n {2}none +3 objects/);
    expect(t.stdout).not.toContain('not in an inventory');
  });

  it('an inventory manifest that does not exist: one clear line, exit 1', async () => {
    const r = await auditCli(['--bucket', 'cli-audit', '--manifest', join(dir, 'nope.json')], {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^oss-auto-encrypt audit: Inventory manifest .*nope\.json: cannot be read/);
    expect(existsSync(join(dir, 'nope.json'))).toBe(false);
  });
});
