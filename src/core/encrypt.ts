/**
 * One object: HEAD → decide → settle the guard → (ACL and tags read) → guarded copy or multipart → confirm →
 * (delete exactly the plaintext version HEAD saw). Returns a result for every path and never throws; logs exactly
 * one line per object. The guarantees and their remaining windows: docs/resilience.md.
 */
import type { Policy } from '../config';
import { BucketNotAllowedError, EncryptionNotConfirmedError, GuardNotSettledError, OssOperationError, PlaintextNotDeletedError, UndoFailedError, describeError } from '../errors';
import { isObjectCreated, type ObjectRef } from '../event/parse';
import type { Logger } from '../log';
import type { HeadResponse, OssGateway, OssResponse } from '../oss/gateway';
import { sseFromHeaders, type ObjectHead } from '../oss/object-head';
import { SKIP_REASONS, copyHeaders, decide, describeSse, isRewriteOf, sseSatisfies, targetFor, type Decision, type SkipReason } from './decide';
import { isSettled, lastModifiedInFuture, settleDelayMs } from './guard';
import { persist } from './persist';
import { multipartEncrypt, SourceVersionChangedError } from './multipart';
import { deleteEventPlaintext } from './plaintext-versions';

export interface ObjectResult {
  bucket: string;
  key: string;
  outcome: 'encrypted' | 'skipped' | 'failed';
  /** A SKIP_REASONS / ENCRYPT_REASONS value, or the error code when failed. */
  reason: string;
  algorithm?: string;
  kmsKeyId?: string;
  size?: number;
  method?: 'copy' | 'multipart';
  durationMs: number;
  /** x-oss-request-id of every OSS request made for this object, retried attempts included. */
  requestIds: string[];
  dryRun?: boolean;
  /** Versioned bucket: the noncurrent plaintext version the copy left behind. */
  plaintextVersionId?: string;
  /** True when VERSIONED_PLAINTEXT=delete removed that version. */
  plaintextDeleted?: boolean;
  /** Delete mode: the plaintext versions of the event's upload removed on a path other than a fresh rewrite. */
  plaintextVersionIds?: string[];
  /** Delete mode: plaintext versions with the event's bytes older than its upload (the user's history): kept, reported. */
  plaintextVersionsKept?: string[];
  /**
   * `encrypted` although this attempt's copy got 412: the object already is exactly what the rewrite makes (an
   * earlier attempt whose response was lost, or a duplicate delivery that won the race).
   */
  rewrittenEarlier?: boolean;
  /**
   * Extra HEADs taken because the first was answered in the same server second as the object's Last-Modified, so
   * the copy guard could not yet tell a later change apart (src/core/guard.ts). Absent when none was needed.
   */
  settleHeads?: number;
  /** A short explanation where the reason alone does not say what happened. */
  note?: string;
  error?: { code: string; message: string };
}

export interface EncryptDeps {
  oss: OssGateway;
  policy: Policy;
  logger: Logger;
  signal?: AbortSignal;
  /** Epoch ms when FC ends the invocation (context.function.timeout); work that cannot finish by then is not started. */
  deadline?: number;
}

/**
 * Event keys may or may not be URL-encoded (UNCONFIRMED, oss-api.md §3). The key is used verbatim
 * first; only after a 404 is the decoded form (S3-style, `+` = space) tried, once.
 */
export function decodedKeyCandidate(key: string): string | undefined {
  if (!/%[0-9A-Fa-f]{2}|\+/.test(key)) return undefined;
  try {
    const decoded = decodeURIComponent(key.replace(/\+/g, '%20'));
    return decoded !== key ? decoded : undefined;
  } catch {
    return undefined;
  }
}

const isOss = (err: unknown, code: string): err is OssOperationError => err instanceof OssOperationError && err.ossCode === code;

/**
 * Errors that, once the object was HEADed, mean the object changed under us rather than a failure: retrying (FC's
 * async retry) would only meet the same answer.
 */
function skipAfterHead(err: unknown): SkipReason | undefined {
  // (A 412 never reaches here: the copy's caller first checks whether the change was our own rewrite.)
  // Deleted after our HEAD (before the ACL read, the copy or a part copy): nothing to encrypt, nothing resurrected.
  if (isOss(err, 'NoSuchKey')) return SKIP_REASONS.GONE;
  // HEAD said restored but the restore expired meanwhile.
  if (isOss(err, 'InvalidObjectState')) return SKIP_REASONS.ARCHIVE_NOT_RESTORED;
  // Retention (WORM) or an overwrite-protection rule: permanent, retrying only repeats it (evidence §21).
  if (isOss(err, 'FileImmutable') || isOss(err, 'FileAlreadyExists')) return SKIP_REASONS.WRITE_PROTECTED;
  // A part copy read a newer version than HEAD saw (versioned bucket): that upload has its own event.
  if (err instanceof SourceVersionChangedError) return SKIP_REASONS.REPLACED;
  return undefined;
}

export async function encryptObject(ref: ObjectRef, deps: EncryptDeps): Promise<ObjectResult> {
  const started = performance.now();
  const requestIds: string[] = [];
  const track = (r: Pick<OssResponse, 'requestId' | 'retriedRequestIds'>) => {
    requestIds.push(...r.retriedRequestIds);
    if (r.requestId) requestIds.push(r.requestId);
  };
  const trackError = (err: unknown) => {
    if (err instanceof OssOperationError && err.requestId && !requestIds.includes(err.requestId)) requestIds.push(err.requestId);
  };
  const { oss, policy } = deps;
  let key = ref.key;
  let head: ObjectHead | undefined;
  let decision: Decision | undefined;
  let settleHeads = 0;

  const finish = (partial: Omit<ObjectResult, 'bucket' | 'key' | 'durationMs' | 'requestIds'>): ObjectResult => {
    const result: ObjectResult = {
      bucket: ref.bucket,
      key,
      ...partial,
      ...(head && partial.size === undefined ? { size: head.size } : {}),
      ...(settleHeads > 0 ? { settleHeads } : {}),
      durationMs: Math.round(performance.now() - started),
      requestIds,
    };
    const line = { ...result, ...(key !== ref.key ? { eventKey: ref.key } : {}) };
    if (result.outcome === 'failed') deps.logger.error(line, `failed: ${result.error?.message ?? result.reason}`);
    else if (result.reason === SKIP_REASONS.WRITE_PROTECTED) deps.logger.warn(line, `skipped: ${result.reason}: ${result.error?.message ?? ''}`);
    else deps.logger.info(line, `${result.outcome}: ${result.reason}`);
    return result;
  };
  const skip = (reason: string, extra: Partial<ObjectResult> = {}) => finish({ outcome: 'skipped', reason, ...extra });
  /** Delete mode, versioned bucket: the event's plaintext version goes even when this attempt rewrote nothing. */
  const cleanup = async (current: ObjectHead) =>
    policy.versionedPlaintext === 'delete' ? ((await deleteEventPlaintext(ref, key, current, oss, track)) ?? {}) : {};

  /**
   * After a 412 or an undone copy: the current object if it is exactly what this rewrite makes (ours, whose answer
   * was lost, or a duplicate delivery's), else why to skip.
   */
  const currentIfRewritten = async (): Promise<HeadResponse | { reason: SkipReason; head?: ObjectHead }> => {
    let now: HeadResponse;
    try {
      now = await oss.head(ref.bucket, key);
    } catch (err) {
      trackError(err);
      if (isOss(err, 'NoSuchKey')) return { reason: SKIP_REASONS.GONE };
      throw err;
    }
    track(now);
    return head && decision?.action === 'encrypt' && isRewriteOf(now.head, head, decision.target) ? now : { reason: SKIP_REASONS.REPLACED, head: now.head };
  };

  try {
    if (policy.allowedBuckets && !policy.allowedBuckets.includes(ref.bucket)) throw new BucketNotAllowedError(ref.bucket, policy.allowedBuckets);
    if (!isObjectCreated(ref)) return skip(SKIP_REASONS.NOT_OBJECT_CREATED);
    // A rule is matched against the key actually encrypted (issue #15 item 3): before HEAD only when the event's
    // spelling cannot turn out to be another key (no %XX or '+' to decode).
    const keyCertain = ref.keyIsExact === true || decodedKeyCandidate(ref.key) === undefined;
    if (keyCertain && targetFor(policy, ref.key).skip) return skip(SKIP_REASONS.EXCLUDED_BY_RULE);

    const found = await headResolvingKey(ref, oss, requestIds);
    if (!found) return skip(SKIP_REASONS.GONE);
    key = found.key;
    track(found.res);
    head = found.res.head;
    const rule = targetFor(policy, key);
    if (rule.skip) return skip(SKIP_REASONS.EXCLUDED_BY_RULE);
    const target = rule.target;
    const sseFields = { algorithm: target.algorithm, ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}) };
    const skipDecided = async (d: Extract<Decision, { action: 'skip' }>, current: ObjectHead) => {
      const sse = current.sse ? { algorithm: current.sse.algorithm, ...(current.sse.kmsKeyId ? { kmsKeyId: current.sse.kmsKeyId } : {}) } : {};
      const swept = d.reason === SKIP_REASONS.ALREADY_ENCRYPTED || d.reason === SKIP_REASONS.REPLACED ? await cleanup(current) : {};
      return skip(d.reason, { ...sse, ...swept });
    };

    decision = decide(ref, head, target, policy);
    if (decision.action === 'skip') return await skipDecided(decision, head);
    if (policy.dryRun) return skip(SKIP_REASONS.DRY_RUN, { ...sseFields, method: decision.method, dryRun: true });

    // The guard needs a HEAD answered after Last-Modified's second (guard.ts): fresh uploads wait for it once.
    for (let round = 0; !isSettled(head) && round < 3; round++) {
      if (lastModifiedInFuture(head)) break;
      const wait = settleDelayMs(head, Date.now(), round);
      if (deps.deadline !== undefined && Date.now() + wait > deps.deadline) break;
      await sleep(wait, deps.signal);
      const again = await oss.head(ref.bucket, key);
      settleHeads++;
      track(again);
      head = again.head;
      decision = decide(ref, head, target, policy);
      if (decision.action === 'skip') return await skipDecided(decision, head);
    }
    if (!isSettled(head)) throw new GuardNotSettledError(ref.bucket, key, head.lastModified, head.servedAt);

    let method = decision.method;
    let responseHeaders: Record<string, string>;
    let rewrittenEarlier = false;
    try {
      // Read as late as possible: no condition sees an ACL or tag change (guard.ts).
      const [acl, tags] = await Promise.all([readAcl(oss, policy, ref.bucket, key, track), readTags(oss, head, ref.bucket, key, track)]);
      const multipart = async () =>
        (await multipartEncrypt(ref.bucket, key, head!, target, acl, tags, { ...deps, requestIds })).completeHeaders;
      if (method === 'copy') {
        try {
          const c = await oss.copyInPlace(ref.bucket, key, copyHeaders(head, target, acl, tags));
          track(c);
          responseHeaders = c.headers;
        } catch (err) {
          // OSS's "1 GB" limit for a copy that changes encryption may sit below MULTIPART_THRESHOLD_BYTES (evidence §10).
          if (!refusedAsTooLarge(err)) throw err;
          trackError(err);
          method = 'multipart';
          responseHeaders = await multipart();
        }
      } else {
        responseHeaders = await multipart();
      }
    } catch (err) {
      trackError(err);
      if (!isOss(err, 'PreconditionFailed')) {
        const reason = skipAfterHead(err);
        if (!reason) throw err;
        return skip(reason, { method, ...(reason === SKIP_REASONS.WRITE_PROTECTED ? { error: describeError(err) } : {}) });
      }
      // 412: changed since HEAD. Our own earlier attempt (response lost) or a duplicate's rewrite also changes it, and
      // then the object already is what this rewrite makes; anything else is a newer change with its own event.
      const now = await currentIfRewritten();
      if (!('headers' in now)) return skip(now.reason, { method, ...(now.reason === SKIP_REASONS.REPLACED ? await cleanup(now.head!) : {}) });
      responseHeaders = now.headers;
      rewrittenEarlier = true;
    }

    // Confirm from the response; one more HEAD only when the response does not say.
    let confirmed = sseFromHeaders(responseHeaders);
    let versionAfter: string | undefined = responseHeaders['x-oss-version-id'];
    if (!confirmed) {
      const h = await oss.head(ref.bucket, key);
      track(h);
      confirmed = h.head.sse;
      versionAfter ??= h.head.versionId;
    }
    if (!sseSatisfies(confirmed, target)) throw new EncryptionNotConfirmedError(ref.bucket, key, describeSse(target), describeSse(confirmed));

    // Versioned bucket (Suspended too: the new version is then "null"): the copy must have read exactly the version
    // HEAD saw. If it read another (a same-ETag version that became current after HEAD), undo it.
    const sourceVersion = responseHeaders['x-oss-copy-source-version-id'];
    const madeVersionNow = () => head!.versionId !== undefined && versionAfter !== undefined && versionAfter !== head!.versionId;
    const madeVersion = madeVersionNow();
    if (!rewrittenEarlier && madeVersion && sourceVersion && sourceVersion !== head.versionId) {
      try {
        track(await persist(() => oss.deleteVersion(ref.bucket, key, versionAfter!)));
      } catch (err) {
        throw new UndoFailedError(ref.bucket, key, versionAfter!, sourceVersion, head.versionId!, err);
      }
      // What it read may be our own earlier rewrite of that version (a retried copy whose first answer was lost).
      const now = await currentIfRewritten();
      if (!('headers' in now)) {
        const note = `the copy read version ${sourceVersion}, not ${head.versionId}; its result was deleted`;
        return skip(now.reason, { method, note, ...(now.reason === SKIP_REASONS.REPLACED ? await cleanup(now.head!) : {}) });
      }
      responseHeaders = now.headers;
      versionAfter = now.head.versionId ?? now.headers['x-oss-version-id'];
      rewrittenEarlier = true;
    }

    const result: Partial<ObjectResult> = { ...sseFields, method, ...(rewrittenEarlier ? { rewrittenEarlier: true } : {}) };
    if (confirmed?.kmsKeyId) result.kmsKeyId = confirmed.kmsKeyId;
    // The rewrite made a new version and left the one HEAD saw noncurrent (§0.6). Only a plaintext one is reported
    // and, in delete mode, deleted: SSE_ON_MISMATCH=reencrypt leaves an encrypted old version, which is kept.
    if (madeVersionNow() && !head.sse) {
      result.plaintextVersionId = head.versionId;
      if (policy.versionedPlaintext === 'delete') {
        try {
          track(await oss.deleteVersion(ref.bucket, key, head.versionId!));
        } catch (err) {
          throw new PlaintextNotDeletedError(ref.bucket, key, head.versionId!, err);
        }
        result.plaintextDeleted = true;
      }
    }
    // The event named its upload's version and that is not the one rewritten (a same-ETag upload came after it):
    // its plaintext version goes too.
    if (policy.versionedPlaintext === 'delete' && ref.versionId && ref.versionId !== head.versionId && head.versionId) {
      const swept = await deleteEventPlaintext(ref, key, { ...head, versionId: versionAfter ?? head.versionId }, oss, track);
      if (swept?.plaintextVersionIds) result.plaintextVersionIds = swept.plaintextVersionIds;
      if (swept?.plaintextVersionsKept) result.plaintextVersionsKept = swept.plaintextVersionsKept;
    }
    return finish({ outcome: 'encrypted', reason: decision.reason, ...result });
  } catch (err) {
    trackError(err);
    const error = describeError(err);
    return finish({
      outcome: 'failed',
      reason: error.code,
      error,
      ...(decision?.action === 'encrypt' ? { method: decision.method, algorithm: decision.target.algorithm, ...(decision.target.kmsKeyId ? { kmsKeyId: decision.target.kmsKeyId } : {}) } : {}),
    });
  }
}

/** HEAD the event's key verbatim, then (once, after a 404) its decoded form; undefined when neither exists. */
async function headResolvingKey(ref: ObjectRef, oss: OssGateway, requestIds: string[]): Promise<{ key: string; res: HeadResponse } | undefined> {
  const attempt = async (key: string) => {
    try {
      return { key, res: await oss.head(ref.bucket, key) };
    } catch (err) {
      if (err instanceof OssOperationError && err.requestId) requestIds.push(err.requestId);
      if (isOss(err, 'NoSuchKey')) return undefined;
      throw err;
    }
  };
  const verbatim = await attempt(ref.key);
  if (verbatim) return verbatim;
  const decoded = ref.keyIsExact ? undefined : decodedKeyCandidate(ref.key);
  return decoded === undefined ? undefined : attempt(decoded);
}

/**
 * OSS's answer to a copy over its size limit: `EntityTooLarge` in the local OSS; the real code is unknown (evidence
 * §10, the only real message seen: "Source object Length exceeds the maximum allowed size"), so any 400 that talks
 * about size or length counts too. A wrong guess only costs a multipart attempt that fails the same way.
 */
function refusedAsTooLarge(err: unknown): boolean {
  if (!(err instanceof OssOperationError)) return false;
  return err.ossCode === 'EntityTooLarge' || (err.status === 400 && /size|length|too large/i.test(err.message));
}

async function readAcl(oss: OssGateway, policy: Policy, bucket: string, key: string, track: (r: OssResponse) => void): Promise<string | undefined> {
  if (!policy.preserveAcl) return undefined;
  const a = await oss.getAcl(bucket, key);
  track(a);
  return a.acl;
}

/** Only objects HEAD shows tags on cost a GetObjectTagging (evidence §7: sent with Replace, not trusted to Copy). */
async function readTags(oss: OssGateway, head: ObjectHead, bucket: string, key: string, track: (r: OssResponse) => void): Promise<Record<string, string> | undefined> {
  if (head.taggingCount <= 0) return undefined;
  const t = await oss.getTagging(bucket, key);
  track(t);
  return t.tags;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

