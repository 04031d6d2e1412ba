import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { manifestItems, openManifest, parseCsvLine } from '../../src/backfill/manifest';
import { ManifestError } from '../../src/backfill/errors';
import { writeInventory } from './inventory-fixture';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('parseCsvLine', () => {
  it('handles quoted, escaped and bare fields', () => {
    expect(parseCsvLine('"a","b,c","d""e",f,')).toEqual(['a', 'b,c', 'd"e', 'f', '']);
    expect(() => parseCsvLine('"abc')).toThrow(/unterminated/);
  });
});

describe('inventory manifest', () => {
  const keys = ['a.txt', 'dir/with space.txt', '中文/文件.txt', 'plus+sign%.bin', 'q"uote,comma'];

  it('reads every data file in order, decoding URL-encoded keys, with the total known up front', async () => {
    const inv = writeInventory('my-bucket', [keys.slice(0, 3).map((key, i) => ({ key, size: i })), keys.slice(3).map((key) => ({ key }))]);
    const m = await openManifest(inv.manifest, { bucket: 'my-bucket' });
    expect(m.total).toBe(5);
    expect(m.files.map((f) => f.rows)).toEqual([3, 2]);
    const items = await collect(manifestItems(m));
    expect(items.map((i) => i.key)).toEqual(keys);
    expect(items[1].size).toBe(1);
    // resuming skips rows without reopening finished files
    expect((await collect(manifestItems(m, { skip: 4 }))).map((i) => i.key)).toEqual(['q"uote,comma']);
  });

  it('leaves out noncurrent versions and delete markers of an all-versions inventory, and counts them', async () => {
    const inv = writeInventory('b-v', [[{ key: 'x' }, { key: 'x', isLatest: false }, { key: 'y', isDeleteMarker: true }]], {
      schema: 'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size',
    });
    const m = await openManifest(inv.manifest);
    expect(m.total).toBe(1);
    expect(m.ignoredRows).toBe(2);
    expect((await collect(manifestItems(m))).map((i) => i.key)).toEqual(['x']);
  });

  it('refuses an inventory of another bucket', async () => {
    const inv = writeInventory('other-bucket', [[{ key: 'a' }]]);
    await expect(openManifest(inv.manifest, { bucket: 'my-bucket' })).rejects.toThrow(/inventory of bucket "other-bucket", not "my-bucket"/);
  });

  it('refuses a corrupted data file (MD5 mismatch) before anything is processed', async () => {
    const inv = writeInventory('my-bucket', [[{ key: 'a' }]]);
    const buf = readFileSync(inv.dataFiles[0]);
    buf[buf.length - 5] ^= 0xff;
    writeFileSync(inv.dataFiles[0], buf);
    const err = await openManifest(inv.manifest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).message).toMatch(/unreadable|MD5/);
  });

  it('refuses a manifest that does not match manifest.checksum', async () => {
    const inv = writeInventory('my-bucket', [[{ key: 'a' }]]);
    writeFileSync(inv.manifest, readFileSync(inv.manifest, 'utf8').replace('"CSV"', '"CSV" '));
    await expect(openManifest(inv.manifest)).rejects.toThrow(/does not match manifest\.checksum/);
  });

  it('says which data file is missing and where it looked', async () => {
    const inv = writeInventory('my-bucket', [[{ key: 'a' }]], { checksum: false });
    writeFileSync(inv.dataFiles[0] + '.moved', readFileSync(inv.dataFiles[0]));
    require('node:fs').unlinkSync(inv.dataFiles[0]);
    await expect(openManifest(inv.manifest)).rejects.toThrow(/data file ".*csv\.gz" not found; looked in/);
  });

  it('refuses unreadable, non-JSON and incomplete manifests', async () => {
    await expect(openManifest('/nonexistent/manifest.json')).rejects.toThrow(/cannot be read/);
    const inv = writeInventory('my-bucket', [[{ key: 'a' }]], { checksum: false });
    writeFileSync(inv.manifest, 'not json');
    await expect(openManifest(inv.manifest)).rejects.toThrow(/not valid JSON/);
    writeFileSync(inv.manifest, JSON.stringify({ fileFormat: 'ORC', fileSchema: 'Bucket, Size', files: [] }));
    await expect(openManifest(inv.manifest)).rejects.toThrow(/fileFormat is "ORC".*no Key column.*files is missing or empty/);
    expect(dirname(inv.manifest)).toContain(join('inv-rule', '2026'));
  });
});
