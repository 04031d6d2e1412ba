/**
 * The local OSS writes a bucket inventory in OSS's format and layout (src/local-oss/inventory.ts): manifest.json
 * fields, manifest.checksum = MD5 of manifest.json, gzip CSV data files whose MD5s the manifest lists, URL-encoded
 * keys, EncryptionStatus / IsMultipartUploaded / StorageClass / ETag as a HEAD reports them, splitting into
 * uuid.csv.gz, uuid-1.csv.gz …, and all-versions inventories. Read back with a plain CSV split here, not the
 * backfill's reader.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type OSS from 'ali-oss';
import { startTestOss, ossClient, type OssClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const cells = (line: string) => line.slice(1, -1).split('","');

describe('local OSS bucket inventory', () => {
  let oss: LocalOss;
  let c: OssClient;
  const dir = mkdtempSync(join(tmpdir(), 'inv-'));
  const keys = ['a b/c+d.txt', '100%/x.txt', '报告/一.pdf', 'plain', 'q"uote'];

  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['inv-src'], kms: { keys: [{ id: 'inv-cmk' }] } });
    c = ossClient(oss, 'inv-src');
    await c.put(keys[0] as string, Buffer.from('one'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
    await c.put(keys[1] as string, Buffer.from('two!'), { headers: { 'x-oss-storage-class': 'IA' } } as OSS.PutObjectOptions);
    await c.put(keys[2] as string, Buffer.from('three'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'inv-cmk' } } as OSS.PutObjectOptions);
    await c.put(keys[3] as string, Buffer.from('four'));
    await c.put(keys[4] as string, Buffer.from('five'), { headers: { 'x-oss-server-side-encryption': 'SM4' } } as OSS.PutObjectOptions);
  });
  afterAll(async () => oss.close());

  it('writes manifest.json, manifest.checksum and gzip CSV data files in the OSS layout, one row per object as HEAD sees it', async () => {
    const inv = await oss.inventory('inv-src', { dir, destinationPrefix: 'reports', inventoryId: 'rule1', destinationBucket: 'inv-dest', now: Date.UTC(2026, 10, 27, 16, 5) });
    expect(inv.manifest).toBe(join(dir, 'reports', 'inv-src', 'rule1', '2026-11-27T16-05Z', 'manifest.json'));
    const text = readFileSync(inv.manifest, 'utf8');
    expect(readFileSync(inv.checksum, 'utf8').toLowerCase()).toBe(md5(text));
    const m = JSON.parse(text);
    expect(m).toEqual({
      creationTimestamp: String(Date.UTC(2026, 10, 27, 16, 5) / 1000),
      destinationBucket: 'inv-dest',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size, StorageClass, LastModifiedDate, ETag, IsMultipartUploaded, EncryptionStatus',
      files: [{ key: expect.stringMatching(/^reports\/inv-src\/rule1\/data\/[0-9a-f-]{36}\.csv\.gz$/), size: expect.any(Number), MD5checksum: expect.stringMatching(/^[0-9A-F]{32}$/) }],
      sourceBucket: 'inv-src',
      version: '2019-09-01',
    });
    const data = readFileSync(join(dirname(dirname(inv.manifest)), 'data', basename(m.files[0].key)));
    expect(data.length).toBe(m.files[0].size);
    expect(md5(data)).toBe(m.files[0].MD5checksum.toLowerCase());
    const rows = gunzipSync(data).toString('utf8').trim().split('\n').map(cells);
    const byKey = new Map(rows.map((r) => [decodeURIComponent(r[1] as string), r]));
    expect([...byKey.keys()].sort()).toEqual([...keys].sort());
    for (const r of rows) expect(r[1]).not.toMatch(/[ +\/"\u4e00-\u9fff]/); // URL-encoded: no raw space, '+', '/', quote or CJK
    for (const k of keys) {
      const head = (await c.head(k)).res.headers as Record<string, string>;
      const r = byKey.get(k) as string[];
      expect(r[0]).toBe('inv-src');
      expect(r[2]).toBe(head['content-length']);
      expect(r[3]).toBe(head['x-oss-storage-class'] ?? 'Standard');
      expect(r[4]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
      expect(r[5]).toBe(head.etag?.replace(/"/g, ''));
      expect(r[6]).toBe('false');
      expect(r[7]).toBe(head['x-oss-server-side-encryption'] ? 'true' : 'false');
    }
  });

  it('splits rows over uuid.csv.gz, uuid-1.csv.gz … in key order, each listed in the manifest', async () => {
    const inv = await oss.inventory('inv-src', { dir: join(dir, 'split'), rowsPerFile: 2, fields: ['Size', 'EncryptionStatus', 'ObjectType'] });
    const m = JSON.parse(readFileSync(inv.manifest, 'utf8'));
    expect(m.fileSchema).toBe('Bucket, Key, Size, EncryptionStatus, ObjectType');
    expect(m.files).toHaveLength(3);
    const names = m.files.map((f: { key: string }) => basename(f.key));
    const uuid = (names[0] as string).replace('.csv.gz', '');
    expect(names).toEqual([`${uuid}.csv.gz`, `${uuid}-1.csv.gz`, `${uuid}-2.csv.gz`]);
    const all = inv.dataFiles.flatMap((f) => gunzipSync(readFileSync(f)).toString('utf8').trim().split('\n').map(cells));
    expect(all.map((r) => decodeURIComponent(r[1] as string))).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(all.every((r) => r.length === 5 && r[4] === 'Normal')).toBe(true);
  });

  it('an all-versions inventory adds VersionId, IsLatest, IsDeleteMarker and lists noncurrent versions and delete markers', async () => {
    await oss.createBucket('inv-versioned');
    const v = ossClient(oss, 'inv-versioned');
    await v.putBucketVersioning('inv-versioned', 'Enabled');
    await v.put('k', Buffer.from('old'));
    await v.put('k', Buffer.from('new'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
    await v.put('gone', Buffer.from('x'));
    await v.delete('gone');
    const inv = await oss.inventory('inv-versioned', { dir: join(dir, 'versions'), includedVersions: 'All', fields: ['EncryptionStatus'] });
    const m = JSON.parse(readFileSync(inv.manifest, 'utf8'));
    expect(m.fileSchema).toBe('Bucket, Key, VersionId, IsLatest, IsDeleteMarker, EncryptionStatus');
    const rows = gunzipSync(readFileSync(inv.dataFiles[0] as string)).toString('utf8').trim().split('\n').map(cells);
    expect(rows.map((r) => [r[1], r[3], r[4], r[5]])).toEqual([
      ['gone', 'true', 'true', 'false'],
      ['gone', 'false', 'false', 'false'],
      ['k', 'true', 'false', 'true'],
      ['k', 'false', 'false', 'false'],
    ]);
    expect(rows.every((r) => (r[2] as string).length > 0)).toBe(true);
    const current = await oss.inventory('inv-versioned', { dir: join(dir, 'current') });
    expect(current.rows).toBe(1); // only k: gone's current version is a delete marker
  });

  it('refuses a bucket that does not exist and an unknown field', async () => {
    await expect(oss.inventory('no-such-bucket', { dir })).rejects.toThrow(/NoSuchBucket|does not exist/);
    await expect(oss.inventory('inv-src', { dir, fields: ['Size', 'Bogus' as 'Size'] })).rejects.toThrow(/unknown inventory field "Bogus"/);
  });
});
