/**
 * Objects above MULTIPART_THRESHOLD_BYTES: CopyObject that changes encryption is limited to 1 GB
 * (oss-api.md §0.3), so Initiate (SSE + all metadata + tags + storage class) → parallel
 * UploadPartCopy (each conditional on the HEAD ETag) → Complete, then the ACL. Any failure aborts
 * the upload. UploadPartCopy moves no bytes through the function, so memory stays flat.
 * Not ali-oss `multipartUploadCopy`: it copies no metadata (oss-api.md §0.5).
 */
import { MAX_PARTS, type EncryptionTarget, type Policy } from '../config';
import type { HeadResponse, OssGateway } from '../oss/gateway';
import type { ObjectHead } from '../oss/object-head';
import { metadataHeaders, sameEtag, sseHeaders, sseSatisfies, taggingHeader } from './decide';
import { mapLimit } from './pool';
import type { Logger } from '../log';
import { AclNotRestoredError, OssOperationError } from '../errors';

export interface PartRange {
  number: number;
  start: number;
  /** Inclusive. */
  end: number;
}

/** Part size: the configured size, raised so the object fits in 10,000 parts. */
export function partSizeFor(size: number, configured: number): number {
  return Math.max(configured, Math.ceil(size / MAX_PARTS));
}

export function planParts(size: number, partBytes: number): PartRange[] {
  const parts: PartRange[] = [];
  for (let start = 0, n = 1; start < size; start += partBytes, n++) {
    parts.push({ number: n, start, end: Math.min(size, start + partBytes) - 1 });
  }
  return parts;
}

export interface MultipartResult {
  /** Headers of the CompleteMultipartUpload response. */
  completeHeaders: Record<string, string>;
  partCount: number;
}

export async function multipartEncrypt(
  bucket: string,
  key: string,
  head: ObjectHead,
  target: EncryptionTarget,
  acl: string | undefined,
  deps: { oss: OssGateway; policy: Policy; logger: Logger; signal?: AbortSignal; requestIds: string[] },
): Promise<MultipartResult> {
  const { oss, policy, requestIds } = deps;
  const track = (r: { requestId?: string; retriedRequestIds: string[] }) => {
    requestIds.push(...r.retriedRequestIds);
    if (r.requestId) requestIds.push(r.requestId);
  };
  const headers: Record<string, string> = { ...metadataHeaders(head), ...sseHeaders(target) };
  if (head.taggingCount > 0) {
    const t = await oss.getTagging(bucket, key);
    track(t);
    if (Object.keys(t.tags).length) headers['x-oss-tagging'] = taggingHeader(t.tags);
  }
  const init = await oss.initMultipart(bucket, key, headers);
  track(init);
  const parts = planParts(head.size, partSizeFor(head.size, policy.multipartPartBytes));
  let complete;
  let completeSent = false;
  try {
    const done = await mapLimit(parts, policy.multipartConcurrency, async (p) => {
      deps.signal?.throwIfAborted();
      const r = await oss.uploadPartCopy(bucket, key, init.uploadId, p.number, p, { 'x-oss-copy-source-if-match': head.etag });
      track(r);
      return { number: p.number, etag: r.etag };
    });
    completeSent = true;
    complete = await oss.complete(bucket, key, init.uploadId, done);
    track(complete);
  } catch (err) {
    let uploadGone = false;
    try {
      const a = await persist(() => oss.abort(bucket, key, init.uploadId), ['NoSuchUpload']);
      track(a);
      uploadGone = 'alreadyDone' in a;
    } catch (abortErr) {
      // The upload stays listed until a lifecycle rule removes it; say so, but report the original error.
      deps.logger.warn({ bucket, key, uploadId: init.uploadId, err: (abortErr as Error).message }, 'abort of multipart upload failed; remove it with AbortMultipartUpload or a lifecycle rule');
    }
    // Nobody else knows our upload id: if it is gone after a Complete whose answer was lost, and the object is now
    // what that Complete makes, the rewrite happened and only the ACL is left to do (a re-run would see a new ETag
    // and skip the object as replaced, ACL never restored). test/resilience/fault-matrix.test.ts "responses lost".
    const finished = completeSent && uploadGone ? await completedUnseen(oss, bucket, key, head, target) : undefined;
    if (!finished) throw err;
    track(finished);
    deps.logger.warn({ bucket, key, uploadId: init.uploadId }, 'CompleteMultipartUpload got no answer but OSS completed it; continuing');
    complete = finished;
  }
  // Initiate takes no ACL header (oss-api.md §1.4), so the ACL is put once the object exists. The new object
  // already has the default ACL here and a re-run cannot know the old one, so this must not give up lightly.
  if (acl && acl !== 'default') {
    try {
      track(await persist(() => oss.putAcl(bucket, key, acl)));
    } catch (aclErr) {
      throw new AclNotRestoredError(bucket, key, acl, aclErr);
    }
  }
  return { completeHeaders: complete.headers, partCount: parts.length };
}

/**
 * Cleanup and ACL restore run after the point of no return, so each gets ABORT_OR_ACL_ROUNDS rounds of the
 * gateway's own retries (test/resilience/fault-matrix.test.ts found one round leaving orphaned uploads and lost ACLs).
 * `doneCodes`: an error that means the work is already done (an Abort whose earlier attempt went through).
 */
const ABORT_OR_ACL_ROUNDS = 3;
async function persist<T>(fn: () => Promise<T>, doneCodes: string[] = []): Promise<T | { retriedRequestIds: string[]; alreadyDone: true }> {
  for (let round = 1; ; round++) {
    try {
      return await fn();
    } catch (err) {
      const e = err as OssOperationError;
      if (e instanceof OssOperationError && doneCodes.includes(e.ossCode)) return { retriedRequestIds: e.requestId ? [e.requestId] : [], alreadyDone: true };
      if (round >= ABORT_OR_ACL_ROUNDS || !(e instanceof OssOperationError) || !e.retryable) throw err;
    }
  }
}

/** The object as our Complete leaves it: a new Multipart object of the same size with the target SSE; else undefined. */
async function completedUnseen(oss: OssGateway, bucket: string, key: string, source: ObjectHead, target: EncryptionTarget): Promise<HeadResponse | undefined> {
  try {
    const h = await oss.head(bucket, key);
    const now = h.head;
    const done = !sameEtag(now.etag, source.etag) && now.objectType.toLowerCase() === 'multipart' && now.size === source.size && sseSatisfies(now.sse, target);
    return done ? h : undefined;
  } catch {
    return undefined;
  }
}
