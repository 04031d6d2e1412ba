/**
 * The function's error hierarchy. Every error carries a stable `code` and builds a message that
 * says what was wrong and what to do about it. SDK (ali-oss) errors are translated into
 * OssOperationError in src/oss/ and nowhere else.
 */
import type { InvocationSummary } from './core/process';

export abstract class AutoEncryptError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One or more environment variables are invalid; `problems` lists every one of them. */
export class ConfigError extends AutoEncryptError {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid function configuration (fix these environment variables and redeploy):\n- ${problems.join('\n- ')}`);
  }

  /** The same problems worded for a local CLI run, which reads its own environment: nothing to redeploy. */
  get localMessage(): string {
    return `Invalid configuration (fix these environment variables and run again):\n- ${this.problems.join('\n- ')}`;
  }
}

/** The trigger payload is not an OSS event the function understands. */
export class EventError extends AutoEncryptError {
  readonly code = 'EVENT_INVALID';
  constructor(problem: string) {
    super(
      `Malformed event: ${problem}. Expected an OSS trigger event ({"events":[{"eventName":"ObjectCreated:…","oss":{"bucket":{"name":…},"object":{"key":…}}}]}) ` +
        'or the same record wrapped as a CloudEvent ({"specversion":"1.0","data":{…}}).',
    );
  }
}

/**
 * The event names a bucket in another account or region than the function's (context.accountId/region).
 * Refused as a whole, before any OSS request.
 */
export class EventScopeError extends AutoEncryptError {
  constructor(readonly code: 'ACCOUNT_MISMATCH' | 'REGION_MISMATCH', readonly bucket: string, claimed: string, own: string) {
    super(
      `Refused event: bucket "${bucket}" is in ${claimed} but this function runs in ${own}; ` +
        'an OSS trigger only delivers its own account and region, so this event is forged or misrouted. Deploy the function in that account/region instead.',
    );
  }
}

/** No credentials to call OSS with (no function role and no ALIBABA_CLOUD_ACCESS_KEY_* variables). */
export class CredentialsError extends AutoEncryptError {
  readonly code = 'CREDENTIALS_MISSING';
  constructor() {
    super(
      'No OSS credentials: context.credentials is empty. Attach a RAM role to the function (role in s.yaml) ' +
        'with oss:GetObject, oss:PutObject, oss:GetObjectAcl, oss:PutObjectAcl, oss:GetObjectTagging (and kms:GenerateDataKey, kms:Decrypt for KMS), ' +
        'or set ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET for local runs.',
    );
  }
}

/** The event names a bucket outside ALLOWED_BUCKETS. */
export class BucketNotAllowedError extends AutoEncryptError {
  readonly code = 'BUCKET_NOT_ALLOWED';
  constructor(readonly bucket: string, allowed: readonly string[]) {
    super(`Bucket "${bucket}" is not in ALLOWED_BUCKETS (${allowed.join(', ')}); add it there or remove this bucket's trigger.`);
  }
}

/** After the copy, the object does not carry the configured encryption. */
export class EncryptionNotConfirmedError extends AutoEncryptError {
  readonly code = 'SSE_NOT_CONFIRMED';
  constructor(bucket: string, key: string, wanted: string, got: string) {
    super(`oss://${bucket}/${key}: expected ${wanted} after the copy but OSS reports ${got}; check the bucket's encryption settings and KMS key, then retry.`);
  }
}

/**
 * FC's timeout drew near during a multipart rewrite: no part was started that could not finish, the upload was
 * aborted (no billed parts left behind) and the invocation fails so FC retries it.
 */
export class DeadlineError extends AutoEncryptError {
  readonly code = 'DEADLINE_TOO_CLOSE';
  constructor(bucket: string, key: string, readonly partsDone: number, readonly partsTotal: number) {
    super(
      `oss://${bucket}/${key}: stopped after ${partsDone} of ${partsTotal} part copies because the function's timeout ` +
        'would end the rest; the multipart upload was aborted and the object is unchanged. ' +
        'Raise the function timeout (s.yaml `timeout`, up to 86400 s for async invocations) or MULTIPART_CONCURRENCY; see docs/resilience.md "Deadline" for the sizes each timeout handles.',
    );
  }
}

/**
 * The copy guard needs a HEAD answered in a later server second than the object's Last-Modified (src/core/guard.ts);
 * the server's clock did not get there (Last-Modified ahead of the server's Date). Retrying later settles it.
 */
export class GuardNotSettledError extends AutoEncryptError {
  readonly code = 'GUARD_NOT_SETTLED';
  constructor(bucket: string, key: string, lastModified: string | undefined, servedAt: string | undefined) {
    super(
      `oss://${bucket}/${key}: Last-Modified (${lastModified ?? 'none'}) is not before the server's Date (${servedAt ?? 'none'}) after waiting, ` +
        'so a concurrent change could not be told apart; nothing was changed. FC retries the event.',
    );
  }
}

/** VERSIONED_PLAINTEXT=delete: the object is encrypted but deleting the plaintext version failed; a retry finishes it. */
export class PlaintextNotDeletedError extends AutoEncryptError {
  readonly code = 'PLAINTEXT_NOT_DELETED';
  constructor(bucket: string, key: string, readonly versionId: string, cause: unknown) {
    const why = cause instanceof OssOperationError ? `${cause.ossCode}: ${cause.message}` : String((cause as Error)?.message ?? cause);
    super(
      `oss://${bucket}/${key} is encrypted but its plaintext version ${versionId} could not be deleted (${why}). ` +
        'The retry FC makes deletes it (the handler finds and removes the event\'s plaintext version); or delete it by hand: ' +
        `ossutil rm oss://${bucket}/${key} --version-id ${versionId}.`,
    );
  }
}

/**
 * Versioned bucket: the copy read another version than HEAD saw, and deleting the version it made (the undo) failed,
 * so the key's current version has the wrong metadata. The message names the version to delete.
 */
export class UndoFailedError extends AutoEncryptError {
  readonly code = 'UNDO_FAILED';
  constructor(bucket: string, key: string, readonly versionId: string, readVersion: string, expected: string, cause: unknown) {
    const why = cause instanceof OssOperationError ? `${cause.ossCode}: ${cause.message}` : String((cause as Error)?.message ?? cause);
    super(
      `oss://${bucket}/${key}: the copy read version ${readVersion} instead of ${expected} (changed after HEAD), and deleting the version it made ` +
        `failed (${why}). Delete it to restore the previous current version: ossutil rm oss://${bucket}/${key} --version-id ${versionId}.`,
    );
  }
}

/** Hints for well-known OSS error codes: what to do about them. */
const OSS_HINTS: Record<string, string> = {
  AccessDenied: 'grant the function role oss:GetObject, oss:PutObject, oss:GetObjectAcl, oss:PutObjectAcl and oss:GetObjectTagging on this bucket',
  KmsServiceNotEnabled: 'activate KMS in this region or use SSE_ALGORITHM=AES256',
  // KMS codes as OSS documents them ([DOC21] troubleshooting "HTTP 403/404/409 status code", oss-evidence.md §17).
  KmsUbsmsInvalidBid: 'activate KMS in this region or use SSE_ALGORITHM=AES256',
  KeyNotFound: 'check SSE_KMS_KEY_ID (or the rule kmsKeyId) names an existing key in this region',
  AliasNotFound: 'the KMS alias in SSE_KMS_KEY_ID (or the rule kmsKeyId) does not exist in this region; create it or give the key id',
  KeyDisabled: 'enable the KMS key or point SSE_KMS_KEY_ID at an enabled key',
  KeyPendingDeletion: 'cancel the key deletion or point SSE_KMS_KEY_ID at another key',
  KeyPendingImport: 'import the key material of this BYOK key first, or point SSE_KMS_KEY_ID at another key',
  InvalidObjectState: 'restore the archived object first',
  InvalidEncryptionAlgorithmError: 'use SSE_ALGORITHM=AES256, KMS or SM4',
  InvalidAccessKeyId: 'the STS credentials are wrong or expired; check the function role',
  FileImmutable: 'the bucket has a retention (WORM) policy, so objects cannot be rewritten until it expires; encrypt new uploads with PutObject SSE headers or bucket default encryption instead',
  FileAlreadyExists: 'a bucket overwrite-protection rule forbids rewriting this key; exempt the function role (rule Principals) or the prefix, or rely on bucket default encryption',
  SignatureDoesNotMatch: 'the credentials are wrong; check the function role',
  NoSuchBucket: 'the bucket in the event does not exist in this region; check OSS_ENDPOINT and the trigger',
};

/** Codes that retrying can fix (throttling, server errors, timeouts, dropped connections). */
export const RETRYABLE_OSS_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'Throttling',
  'RequestTimeout',
  'TooManyRequests',
  'ResponseTimeoutError',
  'ConnectionTimeoutError',
  'RequestError',
  'ResponseError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** A failed OSS request, translated from the ali-oss error (src/oss/translate-error.ts). */
export class OssOperationError extends AutoEncryptError {
  readonly code: string;
  constructor(
    readonly operation: string,
    readonly ossCode: string,
    readonly status: number,
    readonly requestId: string | undefined,
    readonly retryable: boolean,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const hint = OSS_HINTS[ossCode] ?? (retryable ? 'transient; retried with backoff' : 'see the OSS error code reference');
    super(`${operation} failed: ${ossCode} (HTTP ${status}${requestId ? `, request ${requestId}` : ''}): ${detail}; ${hint}`, options);
    this.code = `OSS_${ossCode}`;
  }
}

/** At least one object failed after retries; thrown so FC's async retry and onFailure destination see it. */
export class InvocationFailedError extends AutoEncryptError {
  readonly code = 'OBJECTS_FAILED';
  constructor(readonly summary: InvocationSummary) {
    const failed = summary.results.filter((r) => r.outcome === 'failed');
    const list = failed
      .slice(0, 20)
      .map((r) => `oss://${r.bucket}/${r.key} (${r.error?.code ?? r.reason})`)
      .join(', ');
    super(
      `${failed.length} of ${summary.total} objects failed: ${list}${failed.length > 20 ? ', …' : ''}. ` +
        'The handler is idempotent, so the retry FC makes is safe; see the per-object log lines for details.',
    );
  }
}

/** Serialisable view of any error for results and log lines (never includes request params or headers). */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof AutoEncryptError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: String(err) };
}
