/**
 * Objects above MULTIPART_THRESHOLD_BYTES: CopyObject that changes encryption is limited to 1 GB
 * (evidence §10), so Initiate (SSE + all metadata + tags + storage class) → parallel UploadPartCopy (each
 * guarded like the single copy, guard.ts) → Complete with the ACL. Any failure aborts the upload, and so does FC's
 * deadline drawing near. UploadPartCopy moves no bytes through the function, so memory stays flat.
 * Not ali-oss `multipartUploadCopy`: it copies no metadata (oss-api.md §0.5).
 */
import { MAX_PARTS, type EncryptionTarget, type Policy } from '../config';
import type { HeadResponse, OssGateway } from '../oss/gateway';
import type { ObjectHead } from '../oss/object-head';
import { metadataHeaders, sameEtag, sseHeaders, sseSatisfies, taggingHeader } from './decide';
import { copyConditions } from './guard';
import { persist } from './persist';
import { mapLimit } from './pool';
import type { Logger } from '../log';
import { DeadlineError, OssOperationError } from '../errors';

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

/**
 * Time kept free before FC's deadline for CompleteMultipartUpload or AbortMultipartUpload (with their retries). A
 * part is not started unless it and every part after it can finish before `deadline - COMPLETION_RESERVE_MS`.
 */
export const COMPLETION_RESERVE_MS = 5_000;

/** A part copy read another version than HEAD saw (versioned bucket): a newer upload landed. */
export class SourceVersionChangedError extends Error {
  constructor(readonly expected: string, readonly got: string) {
    super(`UploadPartCopy read version ${got}, not ${expected}`);
  }
}

export async function multipartEncrypt(
  bucket: string,
  key: string,
  head: ObjectHead,
  target: EncryptionTarget,
  acl: string | undefined,
  tags: Record<string, string> | undefined,
  deps: { oss: OssGateway; policy: Policy; logger: Logger; signal?: AbortSignal; deadline?: number; requestIds: string[] },
): Promise<MultipartResult> {
  const { oss, policy, requestIds } = deps;
  const track = (r: { requestId?: string; retriedRequestIds: string[] }) => {
    requestIds.push(...r.retriedRequestIds);
    if (r.requestId) requestIds.push(r.requestId);
  };
  const headers: Record<string, string> = { ...metadataHeaders(head), ...sseHeaders(target) };
  if (tags && Object.keys(tags).length) headers['x-oss-tagging'] = taggingHeader(tags);
  const parts = planParts(head.size, partSizeFor(head.size, policy.multipartPartBytes));
  const budget = new PartBudget(parts.length, policy.multipartConcurrency, deps.deadline);
  try {
    budget.check(bucket, key);
  } catch {
    throw new DeadlineError(bucket, key, 0, parts.length);
  }
  const init = await oss.initMultipart(bucket, key, headers);
  track(init);
  let complete;
  let completeSent = false;
  let finalTags: Record<string, string> | undefined;
  let stopped = false;
  const expire = budget.timer();
  try {
    const copying = mapLimit(parts, policy.multipartConcurrency, async (p) => {
      if (stopped) throw new Error('stopped');
      deps.signal?.throwIfAborted();
      budget.check(bucket, key);
      const t0 = Date.now();
      // Guarded like the single copy (guard.ts): a change after HEAD, same ETag or not, fails the part.
      const r = await oss.uploadPartCopy(bucket, key, init.uploadId, p.number, p, copyConditions(head));
      track(r);
      const read = r.headers['x-oss-copy-source-version-id'];
      if (head.versionId && read && read !== head.versionId) throw new SourceVersionChangedError(head.versionId, read);
      budget.done(Date.now() - t0);
      return { number: p.number, etag: r.etag };
    });
    copying.catch(() => undefined);
    const done = await Promise.race([copying, expire.promise]);
    // The part copies can take minutes and no condition sees an ACL or tag change, so both are read again now, as
    // late as possible: the ACL then goes on Complete (evidence §14: the object never exists with another ACL).
    const [aclNow, tagsNow] = await Promise.all([
      acl === undefined ? undefined : oss.getAcl(bucket, key).then((a) => (track(a), a.acl)),
      oss.getTagging(bucket, key).then((t) => (track(t), t.tags)),
    ]);
    completeSent = true;
    complete = await oss.complete(bucket, key, init.uploadId, done, aclNow && aclNow !== 'default' ? { 'x-oss-object-acl': aclNow } : {});
    track(complete);
    finalTags = tagsNow;
  } catch (err) {
    stopped = true;
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
    // what that Complete makes, the rewrite happened. test/resilience/fault-matrix.test.ts "responses lost".
    const finished = completeSent && uploadGone ? await completedUnseen(oss, bucket, key, head, target) : undefined;
    if (!finished) throw err instanceof PartBudgetExceeded ? new DeadlineError(bucket, key, budget.finished, parts.length) : err;
    track(finished);
    deps.logger.warn({ bucket, key, uploadId: init.uploadId }, 'CompleteMultipartUpload got no answer but OSS completed it; continuing');
    complete = finished;
  } finally {
    expire.cancel();
  }
  // Tags changed during the part copies: Initiate carried the old ones, so put the current ones back (one round trip
  // after Complete in which the older tags show).
  if (finalTags && !sameTags(finalTags, tags ?? {})) track(await oss.putTagging(bucket, key, finalTags));
  return { completeHeaders: complete.headers, partCount: parts.length };
}

class PartBudgetExceeded extends Error {}

/**
 * FC's deadline for part copies. Parts are estimated at the slowest one seen so far; before the first has finished,
 * only the reserve is checked. A timer also fires at `deadline - COMPLETION_RESERVE_MS` in case a part hangs.
 */
class PartBudget {
  finished = 0;
  private slowestMs = 0;
  constructor(private readonly total: number, private readonly concurrency: number, private readonly deadline: number | undefined) {}
  done(ms: number): void {
    this.finished++;
    this.slowestMs = Math.max(this.slowestMs, ms);
  }
  /** Throws when the parts not yet finished cannot all be copied before the reserve. */
  check(bucket: string, key: string): void {
    if (this.deadline === undefined) return;
    const rounds = Math.ceil((this.total - this.finished) / this.concurrency);
    if (Date.now() + rounds * this.slowestMs + COMPLETION_RESERVE_MS > this.deadline) throw new PartBudgetExceeded(`oss://${bucket}/${key}: deadline`);
  }
  timer(): { promise: Promise<never>; cancel(): void } {
    if (this.deadline === undefined) return { promise: new Promise<never>(() => undefined), cancel: () => undefined };
    let t: NodeJS.Timeout;
    const promise = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new PartBudgetExceeded('deadline')), Math.max(0, this.deadline! - COMPLETION_RESERVE_MS - Date.now()));
    });
    promise.catch(() => undefined);
    return { promise, cancel: () => clearTimeout(t) };
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

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
