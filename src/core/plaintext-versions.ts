/**
 * VERSIONED_PLAINTEXT=delete, the paths where the rewrite itself did not just delete the plaintext version: the
 * event's object is already encrypted (an FC retry after a DeleteObject that failed, our own CopyObject echo), or the
 * event's upload was replaced by a newer one. The plaintext version that event's upload created must still go, so a
 * re-delivery finishes the cleanup (issue #10 item 4).
 *
 * Which version is "the event's": its `versionId` when the event carries one; otherwise the noncurrent versions with
 * the event's ETag (the upload's bytes) written within UPLOAD_WINDOW_MS before the event's time. Same-ETag plaintext
 * versions older than that are the user's own history (identical bytes uploaded before): they are reported
 * (`plaintextVersionsKept`), never deleted, and so are all of them when the event has no time. Each candidate is
 * HEADed and deleted only when it is plaintext; the current version is never deleted. Costs one ListObjectVersions
 * page per 1,000 versions of the key (events without a versionId) plus one HEAD per same-ETag version, only in
 * delete mode and only in versioned buckets.
 */
import type { ObjectRef } from '../event/parse';
import type { OssGateway, OssResponse } from '../oss/gateway';
import type { ObjectHead } from '../oss/object-head';
import { OssOperationError, PlaintextNotDeletedError } from '../errors';
import { sameEtag } from './decide';

export interface PlaintextCleanup {
  /** Plaintext versions of the event's upload that were found (and deleted). */
  plaintextVersionIds?: string[];
  plaintextDeleted?: boolean;
  /** Plaintext versions with the event's bytes that are older than its upload: reported, not deleted. */
  plaintextVersionsKept?: string[];
}

/** How long before the event's time its upload's version may have been written (a slow PutObject, clock skew). */
export const UPLOAD_WINDOW_MS = 60_000;

export async function deleteEventPlaintext(
  ref: ObjectRef,
  key: string,
  current: ObjectHead,
  oss: OssGateway,
  track: (r: Pick<OssResponse, 'requestId' | 'retriedRequestIds'>) => void,
): Promise<PlaintextCleanup | undefined> {
  if (!current.versionId) return undefined;
  let candidates: Array<{ versionId: string; eventsOwn: boolean }>;
  if (ref.versionId) {
    candidates = [{ versionId: ref.versionId, eventsOwn: true }];
  } else if (ref.eTag) {
    const listed = await oss.listKeyVersions(ref.bucket, key);
    track(listed);
    const since = ref.eventTime === undefined ? undefined : Math.floor((ref.eventTime - UPLOAD_WINDOW_MS) / 1000) * 1000;
    candidates = listed.versions
      .filter((v) => !v.isLatest && sameEtag(v.etag, ref.eTag!))
      .map((v) => ({ versionId: v.versionId, eventsOwn: since !== undefined && v.lastModified !== undefined && Date.parse(v.lastModified) >= since }));
  } else {
    return undefined;
  }
  const found: string[] = [];
  const kept: string[] = [];
  for (const { versionId, eventsOwn } of candidates) {
    if (versionId === current.versionId) continue;
    let head: ObjectHead;
    try {
      const h = await oss.head(ref.bucket, key, { versionId });
      track(h);
      head = h.head;
    } catch (err) {
      // Already deleted (an earlier attempt did it) or a delete marker: nothing left to remove.
      if (err instanceof OssOperationError && [404, 405].includes(err.status)) continue;
      throw err;
    }
    if (head.sse) continue;
    if (!eventsOwn) {
      kept.push(versionId);
      continue;
    }
    try {
      track(await oss.deleteVersion(ref.bucket, key, versionId));
    } catch (err) {
      throw new PlaintextNotDeletedError(ref.bucket, key, versionId, err);
    }
    found.push(versionId);
  }
  if (!found.length && !kept.length) return undefined;
  return { ...(found.length ? { plaintextVersionIds: found, plaintextDeleted: true } : {}), ...(kept.length ? { plaintextVersionsKept: kept } : {}) };
}
