/**
 * The local OSS's metadata: buckets, object versions (newest first per key) and multipart uploads, kept in memory
 * and mirrored to record stores (files under --data-dir, or nothing). Owns the versioning rules for writes and
 * deletes and frees blobs no version references any more.
 */
import { randomBytes } from 'node:crypto';
import { OssError } from './errors';
import type { BucketRecord, ObjectVersion, UploadRecord } from './model';
import type { BlobStore } from './storage/blob-store';
import { openRecordStore, type RecordStore } from './storage/record-store';

export function newVersionId(): string {
  // Real version ids are long opaque strings; ours are recognisable but equally opaque to clients.
  return 'CAEQ' + randomBytes(18).toString('base64url');
}

export class State {
  private readonly index = new Map<string, Map<string, ObjectVersion[]>>();
  /** Sorted key lists per bucket, rebuilt only after a key appears or disappears (listing must not sort per page). */
  private readonly sorted = new Map<string, string[]>();

  private constructor(
    private readonly bucketStore: RecordStore<BucketRecord>,
    private readonly objectStore: RecordStore<ObjectVersion[]>,
    private readonly uploadStore: RecordStore<UploadRecord>,
    private readonly blobs: BlobStore,
  ) {
    for (const [name] of bucketStore.entries()) this.index.set(name, new Map());
    for (const [id, versions] of objectStore.entries()) {
      const slash = id.indexOf('/');
      this.index.get(id.slice(0, slash))?.set(id.slice(slash + 1), versions);
    }
  }

  static async open(dataDir: string | undefined, blobs: BlobStore): Promise<State> {
    return new State(
      await openRecordStore<BucketRecord>(dataDir, 'buckets'),
      await openRecordStore<ObjectVersion[]>(dataDir, 'objects'),
      await openRecordStore<UploadRecord>(dataDir, 'uploads'),
      blobs,
    );
  }

  // ---- buckets
  bucket(name: string): BucketRecord | undefined { return this.bucketStore.get(name); }
  requireBucket(name: string | undefined): BucketRecord {
    const b = name === undefined ? undefined : this.bucketStore.get(name);
    if (!b) throw new OssError('NoSuchBucket', undefined, { BucketName: name ?? '' }, '0015-00000101');
    return b;
  }
  buckets(): BucketRecord[] {
    return [...this.bucketStore.entries()].map(([, b]) => b).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  async putBucket(record: BucketRecord): Promise<void> {
    await this.bucketStore.set(record.name, record);
    if (!this.index.has(record.name)) this.index.set(record.name, new Map());
  }
  async deleteBucket(name: string): Promise<void> {
    const keys = this.index.get(name);
    if (keys && keys.size > 0) throw new OssError('BucketNotEmpty', undefined, { BucketName: name }, '0015-00000301');
    if (this.uploads(name).length > 0) {
      throw new OssError('BucketNotEmpty', 'The bucket has multipart uploads that are not completed or aborted.', { BucketName: name });
    }
    await this.bucketStore.delete(name);
    this.index.delete(name);
    this.sorted.delete(name);
  }

  // ---- objects
  /** Versions of a key, newest first (including delete markers). */
  versions(bucket: string, key: string): ObjectVersion[] { return this.index.get(bucket)?.get(key) ?? []; }
  /** Sorted keys that have at least one version (current or not). */
  keys(bucket: string): readonly string[] {
    let list = this.sorted.get(bucket);
    if (!list) {
      list = [...(this.index.get(bucket)?.keys() ?? [])].sort(compareKeys);
      this.sorted.set(bucket, list);
    }
    return list;
  }

  /** Sorted keys under `prefix` that sort after `marker`, lazily (a page of 1000 costs ~1000 steps, not the bucket). */
  *keysFrom(bucket: string, prefix: string, marker: string): Generator<string> {
    const list = this.keys(bucket);
    const start = compareKeys(marker, prefix) >= 0 ? lowerBound(list, marker, false) : lowerBound(list, prefix, true);
    for (let i = start; i < list.length; i++) {
      const key = list[i]!;
      if (!key.startsWith(prefix)) {
        if (compareKeys(key, prefix) > 0) return;
        continue;
      }
      yield key;
    }
  }

  /** The current version, or undefined when the key does not exist or its current version is a delete marker. */
  current(bucket: string, key: string): ObjectVersion | undefined {
    const v = this.versions(bucket, key)[0];
    return v && !v.deleteMarker ? v : undefined;
  }

  /**
   * The version a request names (`versionId`) or the current one. Throws NoSuchKey / NoSuchVersion. A versionId
   * naming a delete marker answers 405 MethodNotAllowed for HEAD/GET (`markerIs405`, oss-api.md §2) and 404
   * NoSuchKey as a copy source (§1.2).
   */
  resolve(bucket: string, key: string, versionId?: string | null, opts: { markerIs405?: boolean } = {}): ObjectVersion {
    if (versionId !== undefined && versionId !== null && versionId !== '') {
      const v = this.versions(bucket, key).find((x) => x.versionId === versionId);
      if (!v) throw new OssError('NoSuchVersion', undefined, { Key: key, VersionId: versionId }, '0026-00000006');
      if (v.deleteMarker && opts.markerIs405) {
        throw new OssError('MethodNotAllowed', 'The specified version is a delete marker.', { Method: 'GET', ResourceType: 'DeleteMarker', VersionId: versionId });
      }
      if (v.deleteMarker) throw new OssError('NoSuchKey', undefined, { Key: key }, '0026-00000001');
      return v;
    }
    const v = this.current(bucket, key);
    if (!v) throw new OssError('NoSuchKey', undefined, { Key: key }, '0026-00000001');
    return v;
  }

  /**
   * Writes a new version following the bucket's versioning status: Enabled prepends a version with a fresh id;
   * Off/Suspended replace the 'null' version. Returns the version as stored.
   */
  async write(bucket: string, version: Omit<ObjectVersion, 'versionId'>): Promise<ObjectVersion> {
    const b = this.requireBucket(bucket);
    const existing = this.versions(bucket, version.key);
    const stored: ObjectVersion = { ...version, versionId: b.versioning === 'Enabled' ? newVersionId() : 'null' };
    const dropped = b.versioning === 'Enabled' ? [] : existing.filter((v) => v.versionId === 'null');
    const next = [stored, ...existing.filter((v) => !dropped.includes(v))];
    await this.saveKey(bucket, version.key, next);
    await this.freeBlobs(dropped, next);
    return stored;
  }

  /** Replaces one version in place (ACL, tags, restore state: changes that OSS does not version). */
  async update(bucket: string, version: ObjectVersion): Promise<void> {
    const list = this.versions(bucket, version.key).map((v) => (v.versionId === version.versionId ? version : v));
    await this.saveKey(bucket, version.key, list);
  }

  /** Permanently removes one version (DeleteObject with versionId). */
  async removeVersion(bucket: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    const list = this.versions(bucket, key);
    const gone = list.find((v) => v.versionId === versionId);
    if (!gone) return undefined;
    const next = list.filter((v) => v !== gone);
    await this.saveKey(bucket, key, next);
    await this.freeBlobs([gone], next);
    return gone;
  }

  private async saveKey(bucket: string, key: string, versions: ObjectVersion[]): Promise<void> {
    const keys = this.index.get(bucket);
    if (!keys) throw new OssError('NoSuchBucket', undefined, { BucketName: bucket });
    if (versions.length === 0 || !keys.has(key)) this.sorted.delete(bucket);
    if (versions.length === 0) {
      keys.delete(key);
      await this.objectStore.delete(`${bucket}/${key}`);
    } else {
      keys.set(key, versions);
      await this.objectStore.set(`${bucket}/${key}`, versions);
    }
  }

  /** Removes blobs of dropped versions unless a remaining version of the key still shares them (metadata-only copy). */
  private async freeBlobs(dropped: ObjectVersion[], remaining: ObjectVersion[]): Promise<void> {
    const kept = new Set(remaining.map((v) => v.blobId));
    for (const v of dropped) if (v.blobId && !kept.has(v.blobId)) await this.blobs.remove(v.blobId);
  }

  // ---- multipart uploads
  upload(bucket: string, key: string, uploadId: string | null): UploadRecord {
    const u = uploadId ? this.uploadStore.get(uploadId) : undefined;
    if (!u || u.bucket !== bucket || u.key !== key) {
      throw new OssError('NoSuchUpload', undefined, { UploadId: uploadId ?? '' }, '0042-00000104');
    }
    return u;
  }
  uploads(bucket: string): UploadRecord[] {
    return [...this.uploadStore.entries()].map(([, u]) => u).filter((u) => u.bucket === bucket)
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }
  async saveUpload(u: UploadRecord): Promise<void> { await this.uploadStore.set(u.uploadId, u); }
  /** Deletes the upload record and its part blobs (Abort; Complete has composed them into a new blob by then). */
  async deleteUpload(u: UploadRecord): Promise<void> {
    await this.uploadStore.delete(u.uploadId);
    for (const p of Object.values(u.parts)) await this.blobs.remove(p.blobId);
  }
}

/**
 * OSS lists keys in UTF-8 byte order (= code point order). JS `<` compares UTF-16 units, which differs only when a
 * surrogate (a code point above U+FFFF) meets U+E000–U+FFFF; remapping those two ranges fixes it without allocating.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return weight(x) - weight(y);
  }
  return a.length - b.length;
}
function weight(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Index of the first element of sorted `keys` that is > `probe` (≥ `probe` when `inclusive`). */
export function lowerBound(keys: readonly string[], probe: string, inclusive: boolean): number {
  let lo = 0; let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid]!, probe);
    if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1; else hi = mid;
  }
  return lo;
}
