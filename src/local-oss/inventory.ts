/**
 * Bucket inventory, as OSS writes it to the destination bucket (here: a local directory standing in for it):
 *
 *   <dest>/[<destination-prefix>/]<src_bucket>/<inventory_id>/YYYY-MM-DDTHH-MMZ/manifest.json
 *   <dest>/[<destination-prefix>/]<src_bucket>/<inventory_id>/YYYY-MM-DDTHH-MMZ/manifest.checksum
 *   <dest>/[<destination-prefix>/]<src_bucket>/<inventory_id>/data/<uuid>.csv.gz, <uuid>-1.csv.gz, …
 *
 * Sources: AlibabaCloudDocs/oss "Bucket inventory.md" (intl.en-US/Developer Guide/Buckets) and the current
 * help.aliyun.com page (存储空间清单):
 * - fileSchema starts with the fixed fields "Bucket, Key" (plus "VersionId, IsLatest, IsDeleteMarker" for an
 *   all-versions inventory), then the optional fields in the order they were configured;
 * - Key is URL-encoded; IsLatest / IsDeleteMarker / IsMultipartUploaded / EncryptionStatus are true or false
 *   (the English page writes True/False, the current Chinese one true/false; readers should accept both);
 * - EncryptionStatus says only whether the object is encrypted, never with what algorithm or KMS key;
 * - manifest.json: creationTimestamp (unix seconds, a string), destinationBucket, fileFormat "CSV", fileSchema,
 *   files [{ key, size, MD5checksum }], sourceBucket, version "2019-09-01"; manifest.checksum is the MD5 of
 *   manifest.json; data files are split as uuid.csv.gz, uuid-1.csv.gz, … and a row never spans two files.
 * UNCONFIRMED: the exact text of LastModifiedDate (we write YYYY-MM-DDTHH-MM-SSZ, GMT), whether every CSV
 * field is quoted (we quote all), and the URL-encoding flavour of Key (we write RFC 3986: space → %20, '+' → %2B,
 * '/' → %2F).
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ObjectVersion } from './model';
import type { State } from './state';

export const INVENTORY_OPTIONAL_FIELDS = [
  'Size', 'StorageClass', 'LastModifiedDate', 'ETag', 'IsMultipartUploaded', 'EncryptionStatus',
  'ObjectAcl', 'TaggingCount', 'ObjectType', 'Crc64',
] as const;
export type InventoryField = (typeof INVENTORY_OPTIONAL_FIELDS)[number];
/** The fields of OSS's own manifest example, in its order. */
export const DEFAULT_INVENTORY_FIELDS: readonly InventoryField[] = ['Size', 'StorageClass', 'LastModifiedDate', 'ETag', 'IsMultipartUploaded', 'EncryptionStatus'];

/** One inventory row: an object version as the inventory describes it. */
export interface InventoryRecord {
  key: string;
  versionId?: string;
  isLatest?: boolean;
  isDeleteMarker?: boolean;
  size: number;
  storageClass: string;
  lastModified: number;
  /** Unquoted. */
  etag: string;
  isMultipartUploaded: boolean;
  encrypted: boolean;
  acl: string;
  taggingCount: number;
  objectType: string;
  crc64: string;
}

export interface InventoryOptions {
  /** Local directory standing in for the destination bucket. */
  dir: string;
  /** The inventory rule's id (default 'inventory'). */
  inventoryId?: string;
  /** The rule's destination prefix (omitted from the path when empty). */
  destinationPrefix?: string;
  destinationBucket?: string;
  /** The rule's filter prefix. */
  prefix?: string;
  /** 'Current' (default) or 'All' versions. */
  includedVersions?: 'Current' | 'All';
  fields?: readonly InventoryField[];
  /** Rows per data file before a new one is started (default 1,000,000). */
  rowsPerFile?: number;
  /** Scan time, epoch ms (default now). */
  now?: number;
}

export interface InventoryFiles {
  manifest: string;
  checksum: string;
  dataFiles: string[];
  rows: number;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** RFC 3986 percent-encoding of a key (encodeURIComponent leaves !'()* alone). */
export const encodeInventoryKey = (k: string) => encodeURIComponent(k).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const pad = (n: number) => String(n).padStart(2, '0');
const gmt = (ms: number, seconds: boolean) => {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}`;
  return seconds ? `${base}-${pad(d.getUTCSeconds())}Z` : `${base}Z`;
};

function cell(r: InventoryRecord, field: string): string {
  switch (field) {
    case 'Size': return String(r.size);
    case 'StorageClass': return r.storageClass;
    case 'LastModifiedDate': return gmt(r.lastModified, true);
    case 'ETag': return r.etag;
    case 'IsMultipartUploaded': return String(r.isMultipartUploaded);
    case 'EncryptionStatus': return String(r.encrypted);
    case 'ObjectAcl': return r.acl;
    case 'TaggingCount': return String(r.taggingCount);
    case 'ObjectType': return r.objectType;
    case 'Crc64': return r.crc64;
    case 'VersionId': return r.versionId ?? '';
    case 'IsLatest': return String(r.isLatest ?? true);
    case 'IsDeleteMarker': return String(r.isDeleteMarker ?? false);
    default: throw new RangeError(`unknown inventory field "${field}"`);
  }
}

/** Writes records as an inventory in OSS's layout. Used by `writeBucketInventory` and by benchmarks that need big ones. */
export async function writeInventoryFiles(sourceBucket: string, records: Iterable<InventoryRecord>, opts: InventoryOptions): Promise<InventoryFiles> {
  const fields = opts.fields ?? DEFAULT_INVENTORY_FIELDS;
  for (const f of fields) if (!(INVENTORY_OPTIONAL_FIELDS as readonly string[]).includes(f)) throw new RangeError(`unknown inventory field "${f}"; use ${INVENTORY_OPTIONAL_FIELDS.join(', ')}`);
  const all = opts.includedVersions === 'All';
  const schema = ['Bucket', 'Key', ...(all ? ['VersionId', 'IsLatest', 'IsDeleteMarker'] : []), ...fields];
  const now = opts.now ?? Date.now();
  const id = opts.inventoryId ?? 'inventory';
  const rule = join(opts.dir, ...(opts.destinationPrefix ? [opts.destinationPrefix] : []), sourceBucket, id);
  const keyPrefix = [...(opts.destinationPrefix ? [opts.destinationPrefix] : []), sourceBucket, id].join('/');
  const tsDir = join(rule, gmt(now, false));
  await fs.mkdir(join(rule, 'data'), { recursive: true });
  await fs.mkdir(tsDir, { recursive: true });
  const perFile = opts.rowsPerFile ?? 1_000_000;
  const uuid = randomUUID();
  const files: Array<{ key: string; size: number; MD5checksum: string }> = [];
  const dataFiles: string[] = [];
  let lines: string[] = [];
  let rows = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const name = `${uuid}${files.length === 0 ? '' : `-${files.length}`}.csv.gz`;
    const gz = gzipSync(Buffer.from(lines.join('\n') + '\n'));
    const path = join(rule, 'data', name);
    await fs.writeFile(path, gz);
    files.push({ key: `${keyPrefix}/data/${name}`, size: gz.length, MD5checksum: createHash('md5').update(gz).digest('hex').toUpperCase() });
    dataFiles.push(path);
    lines = [];
  };
  for (const r of records) {
    lines.push([quote(sourceBucket), quote(encodeInventoryKey(r.key)), ...schema.slice(2).map((f) => quote(cell(r, f)))].join(','));
    rows += 1;
    if (lines.length >= perFile) await flush();
  }
  await flush();
  const manifest = JSON.stringify({
    creationTimestamp: String(Math.floor(now / 1000)),
    destinationBucket: opts.destinationBucket ?? 'inventory-destination',
    fileFormat: 'CSV',
    fileSchema: schema.join(', '),
    files,
    sourceBucket,
    version: '2019-09-01',
  });
  const manifestPath = join(tsDir, 'manifest.json');
  const checksumPath = join(tsDir, 'manifest.checksum');
  await fs.writeFile(manifestPath, manifest);
  await fs.writeFile(checksumPath, createHash('md5').update(manifest).digest('hex').toUpperCase());
  return { manifest: manifestPath, checksum: checksumPath, dataFiles, rows };
}

function recordOf(v: ObjectVersion, isLatest: boolean): InventoryRecord {
  return {
    key: v.key,
    versionId: v.versionId,
    isLatest,
    isDeleteMarker: v.deleteMarker,
    size: v.size,
    storageClass: v.storageClass,
    lastModified: v.lastModified,
    etag: v.etag,
    isMultipartUploaded: v.objectType === 'Multipart',
    encrypted: v.sse !== undefined,
    acl: v.acl,
    taggingCount: v.tags.length,
    objectType: v.objectType,
    crc64: v.crc64,
  };
}

/** The records an inventory of `bucket` would hold now, in key order (OSS scans in listing order). */
export function* inventoryRecords(state: State, bucket: string, opts: { prefix?: string; includedVersions?: 'Current' | 'All' } = {}): Generator<InventoryRecord> {
  state.requireBucket(bucket);
  for (const key of state.keysFrom(bucket, opts.prefix ?? '', '')) {
    const versions = state.versions(bucket, key);
    if (opts.includedVersions === 'All') {
      for (const [i, v] of versions.entries()) yield recordOf(v, i === 0);
    } else if (versions[0] && !versions[0].deleteMarker) {
      yield recordOf(versions[0], true);
    }
  }
}

/** Scans `bucket` now and writes its inventory. */
export async function writeBucketInventory(state: State, bucket: string, opts: InventoryOptions): Promise<InventoryFiles> {
  return writeInventoryFiles(bucket, [...inventoryRecords(state, bucket, opts)], opts);
}
