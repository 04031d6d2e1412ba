/** Writes an OSS inventory as OSS lays it out: <id>/<timestamp>/manifest.json (+ checksum) beside <id>/data/*.csv.gz. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface InventoryRow {
  key: string;
  size?: number;
  isLatest?: boolean;
  isDeleteMarker?: boolean;
  /** Unquoted; empty when absent (the ETag then guards nothing: these rows name objects whose ETag the test does not know). */
  etag?: string;
  encrypted?: boolean;
}

export const SCHEMA = 'Bucket, Key, Size, StorageClass, LastModifiedDate, ETag, IsMultipartUploaded, EncryptionStatus';

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** RFC 3986 encoding of the key, as the inventory's Key column carries it. */
export const encodeKey = (k: string) => encodeURIComponent(k).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function writeInventory(bucket: string, files: InventoryRow[][], opts: { schema?: string; checksum?: boolean } = {}): { dir: string; manifest: string; dataFiles: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'bf-inv-'));
  const id = join(root, 'dest-prefix', bucket, 'inv-rule');
  const ts = join(id, '2026-11-27T00-00Z');
  mkdirSync(join(id, 'data'), { recursive: true });
  mkdirSync(ts, { recursive: true });
  const schema = opts.schema ?? SCHEMA;
  const cols = schema.split(',').map((c) => c.trim());
  const entries = files.map((rows, i) => {
    const name = `745a29e3-bfaa-490d-9109-47086afcc8f2${i === 0 ? '' : `-${i}`}.csv.gz`;
    const lines = rows.map((r) =>
      cols
        .map((c) => {
          switch (c) {
            case 'Bucket': return q(bucket);
            case 'Key': return q(encodeKey(r.key));
            case 'Size': return q(String(r.size ?? 10));
            case 'IsLatest': return q(r.isLatest === false ? 'false' : 'true');
            case 'IsDeleteMarker': return q(r.isDeleteMarker ? 'true' : 'false');
            case 'StorageClass': return q('Standard');
            case 'LastModifiedDate': return q('2026-11-26T10-00-00Z');
            case 'ETag': return q(r.etag ?? '');
            case 'EncryptionStatus': return q(r.encrypted ? 'true' : 'false');
            default: return q('false');
          }
        })
        .join(','),
    );
    const gz = gzipSync(Buffer.from(lines.join('\n') + '\n'));
    writeFileSync(join(id, 'data', name), gz);
    return { key: `dest-prefix/${bucket}/inv-rule/data/${name}`, size: gz.length, MD5checksum: createHash('md5').update(gz).digest('hex') };
  });
  const manifest = JSON.stringify({
    creationTimestamp: '1795651200',
    destinationBucket: 'inventory-dest',
    fileFormat: 'CSV',
    fileSchema: schema,
    files: entries,
    sourceBucket: bucket,
    version: '2019-09-01',
  });
  const mf = join(ts, 'manifest.json');
  writeFileSync(mf, manifest);
  if (opts.checksum !== false) writeFileSync(join(ts, 'manifest.checksum'), createHash('md5').update(manifest).digest('hex'));
  return { dir: root, manifest: mf, dataFiles: entries.map((e) => join(id, 'data', e.key.split('/').pop() as string)) };
}
