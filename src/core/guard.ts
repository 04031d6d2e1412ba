/**
 * The copy guard: what makes the in-place rewrite refuse to overwrite a change made after our HEAD.
 *
 * `x-oss-copy-source-if-match` alone misses every change that keeps the ETag (identical bytes re-uploaded with other
 * metadata, a metadata-only in-place copy). Last-Modified sees those, through `x-oss-copy-source-if-unmodified-since`,
 * with two catches:
 * - RFC 7232 §6 (and S3, and the local OSS) ignore If-Unmodified-Since when If-Match is present and holds; for OSS
 *   this is unknown. So the guard sends If-Unmodified-Since ALONE: it then holds under either reading. Every change
 *   to an object's bytes or metadata sets a new Last-Modified, so it sees everything If-Match saw.
 * - Last-Modified has one-second resolution: a change in the same second as the HEAD'd version passes the condition.
 *   So the guard is only used with a HEAD whose own response `Date` (server clock) is in a later second than that
 *   version's Last-Modified ("settled"): every change after it then carries a later Last-Modified. A HEAD that is not
 *   settled is repeated once the server's second has passed (≤ ~1 s, only for objects written in the last second,
 *   i.e. fresh uploads). Assumes OSS stamps `Date` after it read the object, as any server does.
 * Not seen by any condition: PutObjectAcl and PutObjectTagging (neither changes ETag nor Last-Modified). The ACL and
 * tags are therefore read as late as possible, right before the copy (docs/resilience.md states the window).
 */
import type { ObjectHead } from '../oss/object-head';

const seconds = (httpDate: string | undefined): number | undefined => {
  if (!httpDate) return undefined;
  const t = Date.parse(httpDate);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
};

/** True when the HEAD was answered in a later server second than the object's Last-Modified. */
export function isSettled(head: Pick<ObjectHead, 'lastModified' | 'servedAt'>): boolean {
  const lm = seconds(head.lastModified);
  const at = seconds(head.servedAt);
  return lm !== undefined && at !== undefined && at > lm;
}

/**
 * How long to wait before a HEAD can be settled: until the server clock leaves Last-Modified's second. The server's
 * `Date` only says its clock was at least in that second, so waiting `(lm - at + 1)` s is always enough; FC's and
 * OSS's clocks are NTP-synchronised, so the local clock usually tells when that second really ends, and the wait is
 * cut to that (half a second on average instead of one). Correctness never rests on the local clock: the next HEAD's
 * own `Date` decides, and an early guess only costs another round.
 */
export function settleDelayMs(head: Pick<ObjectHead, 'lastModified' | 'servedAt'>, localNow = Date.now(), round = 0): number {
  const lm = seconds(head.lastModified);
  const at = seconds(head.servedAt);
  if (lm === undefined || at === undefined) return 0;
  const upperBound = Math.max(0, (lm - at + 1) * 1000) + 20;
  if (round > 0) return upperBound;
  const byLocalClock = (lm + 1) * 1000 + 50 - localNow;
  return Math.min(upperBound, Math.max(50, byLocalClock));
}

/**
 * Last-Modified this far after the server's Date is clock trouble, not a fresh upload: fail at once (FC retries)
 * rather than wait out the skew.
 */
export const MAX_FUTURE_SKEW_MS = 2000;

export function lastModifiedInFuture(head: Pick<ObjectHead, 'lastModified' | 'servedAt'>): boolean {
  const lm = seconds(head.lastModified);
  const at = seconds(head.servedAt);
  return lm !== undefined && at !== undefined && (lm - at) * 1000 > MAX_FUTURE_SKEW_MS;
}

/**
 * The conditions for CopyObject / UploadPartCopy from the current version.
 * - Unversioned: If-Unmodified-Since alone (see above).
 * - Versioned (HEAD reported a version id): If-Match as well. A holding If-Match may switch If-Unmodified-Since off
 *   (RFC 7232 §6), but there every copy is also checked afterwards against the version HEAD saw
 *   (`x-oss-copy-source-version-id`, undone when it differs), which sees same-ETag changes; If-Match adds the one
 *   case that check would have to undo: an older version, other bytes, becoming current because the HEAD'd one was
 *   deleted by its version id (its Last-Modified is older, so If-Unmodified-Since passes).
 * Without a Last-Modified (never seen from OSS) it falls back to the ETag alone.
 */
export function copyConditions(head: Pick<ObjectHead, 'lastModified' | 'etag' | 'versionId'>): Record<string, string> {
  if (!head.lastModified) return { 'x-oss-copy-source-if-match': head.etag };
  const ius = { 'x-oss-copy-source-if-unmodified-since': head.lastModified };
  return head.versionId ? { 'x-oss-copy-source-if-match': head.etag, ...ius } : ius;
}
