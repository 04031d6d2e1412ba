/**
 * Scratch objects: every object the doctor writes lives under one reserved prefix per run
 * (`.oss-auto-encrypt-doctor/<run id>/`), except the trigger-delivery object, which must match the trigger's own
 * prefix/suffix and is tracked by exact key. Cleanup removes every version and delete marker of them (and any
 * multipart upload), then lists again to prove nothing is left; it runs on success, failure and Ctrl-C alike.
 */
import { randomBytes } from 'node:crypto';
import type { OssAdmin } from './oss-admin';

export const SCRATCH_ROOT = '.oss-auto-encrypt-doctor/';

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
    await this.remaining();
    this.armed = true;
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
