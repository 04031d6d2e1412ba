/**
 * One object: HEAD → decide → (ACL read) → copy or multipart → confirm → (delete plaintext version).
 * Returns a result for every path and never throws; logs exactly one line per object.
 */
import type { Policy } from '../config';
import { BucketNotAllowedError, EncryptionNotConfirmedError, OssOperationError, describeError } from '../errors';
import { isObjectCreated, type ObjectRef } from '../event/parse';
import type { Logger } from '../log';
import type { HeadResponse, OssGateway } from '../oss/gateway';
import { sseFromHeaders, type ObjectHead } from '../oss/object-head';
import { SKIP_REASONS, copyHeaders, decide, describeSse, sseSatisfies, targetFor, type Decision, type SkipReason } from './decide';
import { multipartEncrypt } from './multipart';

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
  error?: { code: string; message: string };
}

export interface EncryptDeps {
  oss: OssGateway;
  policy: Policy;
  logger: Logger;
  signal?: AbortSignal;
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
  // If-Match failed: overwritten after our HEAD; that upload has its own event.
  if (isOss(err, 'PreconditionFailed')) return SKIP_REASONS.REPLACED;
  // Deleted after our HEAD (before the ACL read, the copy or a part copy): nothing to encrypt, nothing resurrected.
  if (isOss(err, 'NoSuchKey')) return SKIP_REASONS.GONE;
  // HEAD said restored but the restore expired meanwhile.
  if (isOss(err, 'InvalidObjectState')) return SKIP_REASONS.ARCHIVE_NOT_RESTORED;
  return undefined;
}

export async function encryptObject(ref: ObjectRef, deps: EncryptDeps): Promise<ObjectResult> {
  const started = performance.now();
  const requestIds: string[] = [];
  const track = (r: { requestId?: string; retriedRequestIds: string[] }) => {
    requestIds.push(...r.retriedRequestIds);
    if (r.requestId) requestIds.push(r.requestId);
  };
  const { oss, policy } = deps;
  let key = ref.key;
  let head: ObjectHead | undefined;
  let decision: Decision | undefined;

  const finish = (partial: Omit<ObjectResult, 'bucket' | 'key' | 'durationMs' | 'requestIds'>): ObjectResult => {
    const result: ObjectResult = {
      bucket: ref.bucket,
      key,
      ...partial,
      ...(head && partial.size === undefined ? { size: head.size } : {}),
      durationMs: Math.round(performance.now() - started),
      requestIds,
    };
    const line = { ...result, ...(key !== ref.key ? { eventKey: ref.key } : {}) };
    if (result.outcome === 'failed') deps.logger.error(line, `failed: ${result.error?.message ?? result.reason}`);
    else deps.logger.info(line, `${result.outcome}: ${result.reason}`);
    return result;
  };
  const skip = (reason: string, extra: Partial<ObjectResult> = {}) => finish({ outcome: 'skipped', reason, ...extra });

  try {
    if (policy.allowedBuckets && !policy.allowedBuckets.includes(ref.bucket)) throw new BucketNotAllowedError(ref.bucket, policy.allowedBuckets);
    if (!isObjectCreated(ref)) return skip(SKIP_REASONS.NOT_OBJECT_CREATED);
    const rule = targetFor(policy, ref.key);
    if (rule.skip) return skip(SKIP_REASONS.EXCLUDED_BY_RULE);
    const target = rule.target;

    let headRes: HeadResponse;
    try {
      headRes = await oss.head(ref.bucket, key);
    } catch (err) {
      if (err instanceof OssOperationError && err.requestId) requestIds.push(err.requestId);
      if (!isOss(err, 'NoSuchKey')) throw err;
      const decoded = ref.keyIsExact ? undefined : decodedKeyCandidate(key);
      if (decoded === undefined) return skip(SKIP_REASONS.GONE);
      try {
        headRes = await oss.head(ref.bucket, decoded);
        key = decoded;
      } catch (err2) {
        if (err2 instanceof OssOperationError && err2.requestId) requestIds.push(err2.requestId);
        if (isOss(err2, 'NoSuchKey')) return skip(SKIP_REASONS.GONE);
        throw err2;
      }
    }
    track(headRes);
    head = headRes.head;
    decision = decide(ref, head, target, policy);
    const sseFields = { algorithm: target.algorithm, ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}) };
    if (decision.action === 'skip') {
      const current = head.sse ? { algorithm: head.sse.algorithm, ...(head.sse.kmsKeyId ? { kmsKeyId: head.sse.kmsKeyId } : {}) } : {};
      return skip(decision.reason, current);
    }
    if (policy.dryRun) return skip(SKIP_REASONS.DRY_RUN, { ...sseFields, method: decision.method, dryRun: true });

    let responseHeaders: Record<string, string>;
    try {
      let acl: string | undefined;
      if (policy.preserveAcl) {
        const a = await oss.getAcl(ref.bucket, key);
        track(a);
        acl = a.acl;
      }
      if (decision.method === 'copy') {
        const c = await oss.copyInPlace(ref.bucket, key, copyHeaders(head, target, acl));
        track(c);
        responseHeaders = c.headers;
      } else {
        responseHeaders = (await multipartEncrypt(ref.bucket, key, head, target, acl, { ...deps, requestIds })).completeHeaders;
      }
    } catch (err) {
      const reason = skipAfterHead(err);
      if (!reason) throw err;
      if (err instanceof OssOperationError && err.requestId) requestIds.push(err.requestId);
      return skip(reason, { method: decision.method });
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

    const result: Partial<ObjectResult> = { ...sseFields, method: decision.method };
    if (confirmed?.kmsKeyId) result.kmsKeyId = confirmed.kmsKeyId;
    // Versioned bucket: the copy made a new version and left the plaintext one noncurrent (oss-api.md §0.6).
    const plaintext = responseHeaders['x-oss-copy-source-version-id'] ?? head.versionId;
    if (plaintext && plaintext !== 'null' && versionAfter && versionAfter !== 'null' && versionAfter !== plaintext) {
      result.plaintextVersionId = plaintext;
      if (policy.versionedPlaintext === 'delete') {
        track(await oss.deleteVersion(ref.bucket, key, plaintext));
        result.plaintextDeleted = true;
      }
    }
    return finish({ outcome: 'encrypted', reason: decision.reason, ...result });
  } catch (err) {
    if (err instanceof OssOperationError && err.requestId && !requestIds.includes(err.requestId)) requestIds.push(err.requestId);
    const error = describeError(err);
    return finish({
      outcome: 'failed',
      reason: error.code,
      error,
      ...(decision?.action === 'encrypt' ? { method: decision.method, algorithm: decision.target.algorithm, ...(decision.target.kmsKeyId ? { kmsKeyId: decision.target.kmsKeyId } : {}) } : {}),
    });
  }
}
