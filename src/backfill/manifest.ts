/**
 * Reads an OSS bucket inventory (manifest.json + GZIP-compressed CSV data files) as the source of
 * keys, for buckets too large to list.
 *
 * Format (AlibabaCloudDocs/oss `intl.en-US/Developer Guide/Buckets/Bucket inventory.md`;
 * https://www.alibabacloud.com/help/doc-detail/163489.htm):
 * - layout `<dest>/<prefix>/<src_bucket>/<inventory_id>/YYYY-MM-DDTHH-MMZ/manifest.json` (+ `manifest.checksum`,
 *   the MD5 of manifest.json) and `<…>/<inventory_id>/data/<uuid>.csv.gz`, split as uuid.csv.gz, uuid-1.csv.gz … in order;
 * - manifest.json fields: creationTimestamp, destinationBucket, fileFormat, fileSchema (the CSV columns,
 *   e.g. "Bucket, Key, Size, StorageClass, LastModifiedDate, ETag, IsMultipartUploaded, EncryptionStatus"),
 *   files (name, size and MD5 of each data file), sourceBucket, version;
 * - the Key column is URL-encoded ("You must decode the object name").
 * UNCONFIRMED: the exact property names inside `files[]` (the doc names "name, size, MD5"); we accept
 * `key`/`name`/`path`, `size`, `MD5checksum`/`md5Checksum`/`md5`. How the key is URL-encoded (RFC 3986 vs
 * form encoding with '+' for space) is UNCONFIRMED too; we decode %XX only, so a '+' stays a '+'.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ManifestError } from './errors';

export interface ManifestDataFile {
  path: string;
  rows: number;
}

export interface InventoryManifest {
  file: string;
  /** Identity of this inventory (checkpoint.ts): MD5 of manifest.json and its creationTimestamp. */
  md5: string;
  createdAt?: string;
  sourceBucket?: string;
  columns: string[];
  files: ManifestDataFile[];
  /** Rows that name a current object (the keys the backfill will process). */
  total: number;
  /** Rows left out because they are noncurrent versions or delete markers (all-versions inventories). */
  ignoredRows: number;
}

export interface ManifestItem {
  key: string;
  size?: number;
  /** The EncryptionStatus column (true/false, any case); absent when the inventory lacks the column. */
  encrypted?: boolean;
  /** An EncryptionStatus cell that is neither true nor false (not OSS's format), as written; `encrypted` is then unset. */
  unrecognisedEncryption?: string;
  /** The ETag column, unquoted as the inventory writes it. */
  etag?: string;
  storageClass?: string;
}

/**
 * A row that names no current object (all-versions inventories): an older version (which may sit under a delete
 * marker), or a delete marker. The backfill never touches these; the audit reports the older versions apart.
 */
export type IgnoredRow = { ignored: 'noncurrent'; item: ManifestItem } | { ignored: 'delete-marker' };

/** Splits one CSV line (RFC 4180 quoting; OSS quotes every field). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const c = line.indexOf(',', i);
      field = c < 0 ? line.slice(i) : line.slice(i, c);
      i = c < 0 ? line.length : c;
    }
    out.push(field);
    if (i >= line.length) return out;
    if (line[i] !== ',') throw new Error(`unexpected character after a quoted field at column ${i + 1}`);
    i += 1;
  }
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not valid percent-encoding: the inventory gave it verbatim
  }
}

function str(o: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) if (typeof o[n] === 'string') return o[n] as string;
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Where a data file named in the manifest sits locally, for the usual ways of downloading an inventory. */
async function locate(manifestFile: string, key: string): Promise<string> {
  const dir = dirname(manifestFile);
  const name = basename(key);
  const candidates = [
    isAbsolute(key) ? key : join(dir, key),
    join(dir, '..', 'data', name), // the OSS layout: <inventory_id>/<timestamp>/manifest.json beside <inventory_id>/data/
    join(dir, 'data', name),
    join(dir, name),
  ];
  for (const c of candidates) if (await exists(c)) return resolve(c);
  throw new ManifestError(manifestFile, `data file "${key}" not found; looked in ${candidates.join(', ')}. Download the inventory's data/ directory next to its timestamp directory`);
}

interface RowFilter {
  /** The schema's column names: a first line that repeats all of them is a header a tool added. */
  columns: string[];
  keyIdx: number;
  bucketIdx: number;
  sizeIdx: number;
  latestIdx: number;
  deleteMarkerIdx: number;
  encryptionIdx: number;
  etagIdx: number;
  storageClassIdx: number;
}

function rowFilter(columns: string[]): RowFilter {
  return {
    columns,
    keyIdx: columns.indexOf('Key'),
    bucketIdx: columns.indexOf('Bucket'),
    sizeIdx: columns.indexOf('Size'),
    latestIdx: columns.indexOf('IsLatest'),
    deleteMarkerIdx: columns.indexOf('IsDeleteMarker'),
    encryptionIdx: columns.indexOf('EncryptionStatus'),
    etagIdx: columns.indexOf('ETag'),
    storageClassIdx: columns.indexOf('StorageClass'),
  };
}

/** Opens and checks a manifest: JSON shape, checksum, every data file present, intact and matching its MD5. */
/** Thrown by openManifest when its signal stops the check of the data files (MD5 and row count) part-way. */
export const MANIFEST_CHECK_STOPPED = 'check stopped by a signal before it was complete';

export async function openManifest(file: string, opts: { bucket?: string; signal?: AbortSignal } = {}): Promise<InventoryManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, `cannot be read (${(err as Error).message})`);
  }
  const checksumFile = join(dirname(file), 'manifest.checksum');
  if (await exists(checksumFile)) {
    const want = (await fs.readFile(checksumFile, 'utf8')).trim().toLowerCase();
    const got = createHash('md5').update(text).digest('hex');
    if (want && want !== got) throw new ManifestError(file, `MD5 ${got} does not match manifest.checksum (${want}); download the manifest again`);
  }
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ManifestError(file, 'is not valid JSON; pass the manifest.json of an OSS inventory');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ManifestError(file, 'is not a JSON object');
  const problems: string[] = [];
  const format = str(m, 'fileFormat');
  if (format !== undefined && format.toUpperCase() !== 'CSV') problems.push(`fileFormat is "${format}", only CSV inventories are supported`);
  const schema = str(m, 'fileSchema');
  const columns = schema ? schema.split(',').map((c) => c.trim()) : [];
  if (!schema) problems.push('fileSchema is missing');
  else if (!columns.includes('Key')) problems.push(`fileSchema "${schema}" has no Key column`);
  const files = Array.isArray(m.files) ? (m.files as unknown[]) : undefined;
  if (!files || files.length === 0) problems.push('files is missing or empty');
  const sourceBucket = str(m, 'sourceBucket');
  if (opts.bucket && sourceBucket && sourceBucket !== opts.bucket) problems.push(`it is an inventory of bucket "${sourceBucket}", not "${opts.bucket}"`);
  if (problems.length) throw new ManifestError(file, problems.join('; '));

  const filter = rowFilter(columns);
  const bucket = opts.bucket ?? sourceBucket;
  const out: ManifestDataFile[] = [];
  let total = 0;
  let ignoredRows = 0;
  for (const [i, entry] of (files as unknown[]).entries()) {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const key = str(e, 'key', 'name', 'path');
    if (!key) throw new ManifestError(file, `files[${i}] has no key`);
    const path = await locate(file, key);
    const md5 = str(e, 'MD5checksum', 'md5Checksum', 'md5', 'MD5');
    const hash = createHash('md5');
    let rows = 0;
    try {
      for await (const row of readRows(path, filter, bucket, (chunk) => hash.update(chunk))) {
        if (opts.signal?.aborted) throw new ManifestError(file, MANIFEST_CHECK_STOPPED);
        if ('ignored' in row) ignoredRows += 1;
        else rows += 1;
      }
    } catch (err) {
      if (err instanceof ManifestError) throw err;
      throw new ManifestError(file, `data file ${path} is unreadable (${(err as Error).message}); download it again`);
    }
    const got = hash.digest('hex');
    if (md5 && md5.toLowerCase() !== got) throw new ManifestError(file, `data file ${path} has MD5 ${got}, the manifest says ${md5}; download it again`);
    out.push({ path, rows });
    total += rows;
  }
  const created = m.creationTimestamp;
  const createdAt = typeof created === 'string' || typeof created === 'number' ? String(created) : undefined;
  const md5 = createHash('md5').update(text).digest('hex');
  return { file, md5, ...(createdAt !== undefined ? { createdAt } : {}), sourceBucket, columns, files: out, total, ignoredRows };
}

async function* readRows(path: string, f: RowFilter, bucket: string | undefined, onRaw?: (chunk: Buffer) => void): AsyncGenerator<ManifestItem | IgnoredRow> {
  const raw = createReadStream(path);
  if (onRaw) raw.on('data', (c) => onRaw(c as Buffer));
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  const lines = createInterface({ input: raw.pipe(gunzip), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let cells: string[];
    try {
      cells = parseCsvLine(line);
    } catch (err) {
      throw new ManifestError(path, `line ${n}: ${(err as Error).message}`);
    }
    const rawKey = cells[f.keyIdx];
    if (rawKey === undefined) throw new ManifestError(path, `line ${n} has ${cells.length} columns, the schema has the Key at column ${f.keyIdx + 1}`);
    // A header line, if a tool added one: the whole row must repeat the schema, so an object named `Key` is still an object.
    if (n === 1 && cells.length === f.columns.length && cells.every((c, i) => c.trim() === f.columns[i])) continue;
    if (f.bucketIdx >= 0 && bucket && cells[f.bucketIdx] !== bucket) {
      throw new ManifestError(path, `line ${n} is for bucket "${cells[f.bucketIdx]}", not "${bucket}"`);
    }
    if (f.deleteMarkerIdx >= 0 && /^true$/i.test(cells[f.deleteMarkerIdx] ?? '')) {
      yield { ignored: 'delete-marker' };
      continue;
    }
    const noncurrent = f.latestIdx >= 0 && /^false$/i.test(cells[f.latestIdx] ?? '');
    const size = f.sizeIdx >= 0 && /^\d+$/.test(cells[f.sizeIdx] ?? '') ? Number(cells[f.sizeIdx]) : undefined;
    const item: ManifestItem = { key: decodeKey(rawKey) };
    if (size !== undefined) item.size = size;
    // The docs write True/False (intl.en-US) and true/false (current zh-CN page); anything else is left unknown (and kept, so the audit can refuse it).
    const enc = f.encryptionIdx >= 0 ? (cells[f.encryptionIdx] ?? '').toLowerCase() : '';
    if (enc === 'true' || enc === 'false') item.encrypted = enc === 'true';
    else if (enc.trim() !== '') item.unrecognisedEncryption = cells[f.encryptionIdx] as string;
    if (f.etagIdx >= 0 && cells[f.etagIdx]) item.etag = (cells[f.etagIdx] as string).replace(/"/g, '');
    if (f.storageClassIdx >= 0 && cells[f.storageClassIdx]) item.storageClass = cells[f.storageClassIdx];
    yield noncurrent ? { ignored: 'noncurrent', item } : item;
  }
}

/** Streams every row of every data file in order: current objects, and the older versions and delete markers. */
export async function* manifestRows(m: InventoryManifest, opts: { bucket?: string } = {}): AsyncGenerator<ManifestItem | IgnoredRow> {
  const filter = rowFilter(m.columns);
  for (const f of m.files) yield* readRows(f.path, filter, opts.bucket ?? m.sourceBucket);
}

/** Streams the current-object rows of every data file in order, skipping the first `skip` of them. */
export async function* manifestItems(m: InventoryManifest, opts: { bucket?: string; skip?: number } = {}): AsyncGenerator<ManifestItem> {
  let toSkip = opts.skip ?? 0;
  const filter = rowFilter(m.columns);
  for (const f of m.files) {
    if (toSkip >= f.rows) {
      toSkip -= f.rows; // whole file already done: not even opened
      continue;
    }
    for await (const row of readRows(f.path, filter, opts.bucket ?? m.sourceBucket)) {
      if ('ignored' in row) continue;
      if (toSkip > 0) {
        toSkip -= 1;
        continue;
      }
      yield row;
    }
  }
}
