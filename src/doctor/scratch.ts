/**
 * Scratch objects: every object the doctor writes lives under one reserved prefix per run
 * (`.oss-auto-encrypt-doctor/<run id>/`), except the trigger-delivery object, which must match the trigger's own
 * prefix/suffix and is tracked by exact key. Cleanup removes every version and delete marker of them (and any
 * multipart upload), then lists again to prove nothing is left; it runs on success, failure and Ctrl-C alike.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectVersionRef, OssAdmin } from './oss-admin';

export const SCRATCH_ROOT = '.oss-auto-encrypt-doctor/';
const DELIVERY_KEYS = 'delivery-keys.txt';

export interface CleanupResult { removedVersions: number; leftBehind: string[] }

export class Scratch {
  readonly runId: string;
  readonly prefix: string;
  private readonly exact = new Set<string>();
  /** Set once the bucket's versioning state is known; an unversioned bucket is cleaned with plain deletes. */
  versioned = true;
  /** Set by preflight(): from then on objects may be written, and cleanup runs. Before it nothing was written. */
  private armed = false;

  constructor(private readonly admin: OssAdmin, readonly bucket: string, runId?: string) {
    this.runId = runId ?? `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    this.prefix = `${SCRATCH_ROOT}${this.runId}/`;
  }

  /** A key under the run's prefix. */
  key(name: string): string {
    return this.prefix + name;
  }

  /** A key outside the prefix (the delivery object) that cleanup must also remove. */
  track(key: string): string {
    this.exact.add(key);
    return key;
  }

  /**
   * Before the first write: list the run prefix once with the very calls cleanup uses, so a user who may write but
   * not list (ListObjectVersions / ListMultipartUploads denied) gets nothing written instead of objects left behind.
   * Throws the listing's error.
   */
  async preflight(): Promise<void> {
    // The whole reserved root, not just this run's prefix: the same calls, and earlier runs' leftovers show up.
    const versions = await this.admin.listVersions(this.bucket, SCRATCH_ROOT);
    const uploads = await this.admin.listUploads(this.bucket, SCRATCH_ROOT);
    this.stale = { versions: versions.filter((v) => !v.key.startsWith(this.prefix)), uploads: uploads.filter((u) => !u.key.startsWith(this.prefix)) };
    this.armed = true;
  }

  /** What earlier runs left under the reserved root (killed with SIGKILL, a lost network), found by preflight(). */
  stale: { versions: ObjectVersionRef[]; uploads: Array<{ key: string; uploadId: string }> } = { versions: [], uploads: [] };

  /** The earlier runs' ids, from their keys. */
  staleRuns(): string[] {
    return [...new Set([...this.stale.versions, ...this.stale.uploads].map((v) => v.key.slice(SCRATCH_ROOT.length).split('/')[0]!))];
  }

  /**
   * Removes what earlier runs left: every version under the root, and the delivery objects each run recorded in
   * its `delivery-keys.txt` (they live under the trigger's prefix). Returns the number of versions removed.
   */
  async removeStale(): Promise<number> {
    let n = 0;
    const versions = [...this.stale.versions];
    for (const v of this.stale.versions.filter((x) => x.key.endsWith(`/${DELIVERY_KEYS}`) && !x.deleteMarker)) {
      let listed: string[] = [];
      try {
        listed = (await this.admin.get(this.bucket, v.key)).toString('utf8').split('\n').filter(Boolean);
      } catch { /* an older version of the record, or unreadable: its root versions are still removed */ }
      for (const key of listed) versions.push(...(await this.admin.listVersions(this.bucket, key)).filter((x) => x.key === key));
    }
    for (const u of this.stale.uploads) await this.admin.abortUpload(this.bucket, u.key, u.uploadId);
    for (const v of versions) {
      if (!this.versioned && v.versionId === 'null') await this.admin.deleteObject(this.bucket, v.key);
      else await this.admin.deleteVersion(this.bucket, v.key, v.versionId);
      n++;
    }
    this.stale = { versions: [], uploads: [] };
    return n;
  }

  /** Records keys outside the prefix in the run's own `delivery-keys.txt`, so a later run can find them if this one is killed. */
  async recordTracked(): Promise<void> {
    await this.admin.put(this.bucket, this.key(DELIVERY_KEYS), Buffer.from([...this.exact].join('\n') + '\n'), { 'content-type': 'text/plain; charset=utf-8' });
  }

  /** Whether anything may have been written (cleanup is skipped, and reports nothing, when not). */
  get mayHaveWritten(): boolean {
    return this.armed;
  }

  async cleanup(): Promise<CleanupResult> {
    let removedVersions = 0;
    if (!this.armed) return { removedVersions, leftBehind: [] };
    // A trigger may still be rewriting a scratch object while we delete (a new version after our listing), so
    // list again until a listing comes back empty, a few times at most.
    for (let round = 0; round < 4; round++) {
      const found = await this.remaining();
      if (found.uploads.length === 0 && found.versions.length === 0) return { removedVersions, leftBehind: [] };
      for (const u of found.uploads) await this.admin.abortUpload(this.bucket, u.key, u.uploadId);
      for (const v of found.versions) {
        if (!this.versioned && v.versionId === 'null') await this.admin.deleteObject(this.bucket, v.key);
        else await this.admin.deleteVersion(this.bucket, v.key, v.versionId);
        removedVersions++;
      }
    }
    const left = await this.remaining();
    return { removedVersions, leftBehind: [...left.versions.map((v) => `${v.key} (version ${v.versionId})`), ...left.uploads.map((u) => `${u.key} (upload ${u.uploadId})`)] };
  }

  private async remaining() {
    const versions = [];
    const uploads = [];
    for (const prefix of [this.prefix, ...this.exact]) {
      const exact = prefix !== this.prefix;
      versions.push(...(await this.admin.listVersions(this.bucket, prefix)).filter((v) => !exact || v.key === prefix));
      uploads.push(...(await this.admin.listUploads(this.bucket, prefix)).filter((u) => !exact || u.key === prefix));
    }
    return { versions, uploads };
  }
}
