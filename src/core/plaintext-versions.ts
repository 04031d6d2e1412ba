/**
 * VERSIONED_PLAINTEXT=delete, the paths where the rewrite itself did not just delete the plaintext version: the
 * event's object is already encrypted (an FC retry after a DeleteObject that failed, our own CopyObject echo), or the
 * event's upload was replaced by a newer one. The plaintext version that event's upload created must still go, so a
 * re-delivery finishes the cleanup (issue #10 item 4).
 *
 * Which version is "the event's": its `versionId` when the event carries one; otherwise the noncurrent versions whose
 * ETag is the event's (the upload's bytes). Each candidate is HEADed and deleted only when it is plaintext; the
 * current version is never deleted. Costs one ListObjectVersions (events without a versionId) plus one HEAD per
 * candidate, only in delete mode and only in versioned buckets.
 */
import type { ObjectRef } from '../event/parse';
import type { OssGateway, OssResponse } from '../oss/gateway';
import type { ObjectHead } from '../oss/object-head';
import { OssOperationError, PlaintextNotDeletedError } from '../errors';
import { sameEtag } from './decide';

export interface PlaintextCleanup {
  /** Plaintext versions of the event's upload that were found (and deleted). */
  plaintextVersionIds: string[];
  plaintextDeleted: boolean;
}

export async function deleteEventPlaintext(
  ref: ObjectRef,
  key: string,
  current: ObjectHead,
  oss: OssGateway,
  track: (r: Pick<OssResponse, 'requestId' | 'retriedRequestIds'>) => void,
): Promise<PlaintextCleanup | undefined> {
  if (!current.versionId) return undefined;
  let candidates: string[];
  if (ref.versionId) {
    candidates = [ref.versionId];
  } else if (ref.eTag) {
    const listed = await oss.listKeyVersions(ref.bucket, key);
    track(listed);
    candidates = listed.versions.filter((v) => !v.isLatest && sameEtag(v.etag, ref.eTag!)).map((v) => v.versionId);
  } else {
    return undefined;
  }
  const found: string[] = [];
  for (const versionId of candidates) {
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
    try {
      track(await oss.deleteVersion(ref.bucket, key, versionId));
    } catch (err) {
      throw new PlaintextNotDeletedError(ref.bucket, key, versionId, err);
    }
    found.push(versionId);
  }
  return found.length ? { plaintextVersionIds: found, plaintextDeleted: true } : undefined;
}
