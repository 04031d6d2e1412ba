/**
 * Pure decision: (event ref, HEAD facts, policy) → skip with a named reason, or encrypt with the
 * exact request headers. No I/O here, so every branch is unit-tested without OSS.
 */
import { ruleFor, type EncryptionTarget, type Policy } from '../config';
import type { ObjectRef } from '../event/parse';
import { STANDARD_METADATA_HEADERS, type ObjectHead, type ObjectSse } from '../oss/object-head';
import { copyConditions } from './guard';

/** Why an object was left alone. Stable strings: they appear in log lines and docs/function.md. */
export const SKIP_REASONS = {
  /** Already carries the SSE its rule asks for (or any SSE, with SSE_ON_MISMATCH=skip). */
  ALREADY_ENCRYPTED: 'already-encrypted',
  /** Carries SSE other than its rule's and SSE_ON_MISMATCH=skip. */
  ENCRYPTED_DIFFERENTLY: 'encrypted-differently',
  /** An SSE_RULES entry with "skip": true covers the key. */
  EXCLUDED_BY_RULE: 'excluded-by-rule',
  /** Appendable objects cannot be copied (oss-api.md §1.2). */
  APPENDABLE: 'appendable',
  /** Copying a symlink copies only the link (oss-api.md §1.2). */
  SYMLINK: 'symlink',
  /** Archive/ColdArchive/DeepColdArchive not restored: copy would fail with InvalidObjectState. */
  ARCHIVE_NOT_RESTORED: 'archive-not-restored',
  /** HEAD says 404: deleted since the event. */
  GONE: 'gone',
  /** The ETag differs from the event's (or changed before the copy): the newer upload has its own event. */
  REPLACED: 'replaced',
  /** The event is not `ObjectCreated:*` (e.g. ObjectRemoved). */
  NOT_OBJECT_CREATED: 'not-object-created',
  /** DRY_RUN=true: the object would have been encrypted. */
  DRY_RUN: 'dry-run',
  /** The same record (bucket, key, version, ETag) appeared earlier in this invocation: answered by that one. */
  DUPLICATE_RECORD: 'duplicate-record',
  /**
   * The bucket forbids rewriting this object (retention/WORM policy: FileImmutable; an overwrite-protection rule:
   * FileAlreadyExists, evidence §21). Permanent, so a named skip with a hint, not a failure FC would retry forever.
   */
  WRITE_PROTECTED: 'write-protected',
} as const;
export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

/** Why an object was rewritten. */
export const ENCRYPT_REASONS = {
  /** It had no SSE. */
  UNENCRYPTED: 'unencrypted',
  /** It had SSE other than its rule's and SSE_ON_MISMATCH=reencrypt. */
  MISMATCH: 'reencrypted-mismatch',
} as const;
export type EncryptReason = (typeof ENCRYPT_REASONS)[keyof typeof ENCRYPT_REASONS];

export type Decision =
  | { action: 'skip'; reason: SkipReason }
  | { action: 'encrypt'; reason: EncryptReason; target: EncryptionTarget; method: 'copy' | 'multipart' };

const ARCHIVE_CLASSES = new Set(['archive', 'coldarchive', 'deepcoldarchive']);

/** The rule's verdict, before any HEAD: skip by rule, or the target encryption. */
export function targetFor(policy: Policy, key: string): { skip: true } | { skip: false; target: EncryptionTarget } {
  const rule = ruleFor(policy, key);
  if (rule?.skip) return { skip: true };
  return { skip: false, target: rule?.target ?? policy.defaultTarget };
}

/** ETags compared without quotes and case (the event's is unquoted, HEAD's quoted: oss-api.md §3). */
export function sameEtag(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/^W\//, '').replace(/"/g, '').toUpperCase();
  return norm(a) === norm(b);
}

/** Does the object's SSE satisfy the target? A target without a key id accepts any KMS key (HEAD always reports one). */
export function sseSatisfies(sse: ObjectSse | undefined, target: EncryptionTarget): boolean {
  if (!sse) return false;
  if (sse.algorithm.toUpperCase() !== target.algorithm) return false;
  if (target.algorithm !== 'KMS') return true;
  if (target.kmsKeyId !== undefined && sse.kmsKeyId !== target.kmsKeyId) return false;
  return (sse.dataEncryption?.toUpperCase() ?? undefined) === target.kmsDataEncryption;
}

/** An archive-class object is copyable only once restored (`x-oss-restore: ongoing-request="false", …`). */
export function needsRestore(head: ObjectHead): boolean {
  if (!ARCHIVE_CLASSES.has(head.storageClass.toLowerCase())) return false;
  return !(head.restore && /ongoing-request="false"/.test(head.restore));
}

export function decide(ref: ObjectRef, head: ObjectHead, target: EncryptionTarget, policy: Policy): Decision {
  if (ref.eTag && !sameEtag(ref.eTag, head.etag)) return { action: 'skip', reason: SKIP_REASONS.REPLACED };
  if (head.objectType.toLowerCase() === 'symlink') return { action: 'skip', reason: SKIP_REASONS.SYMLINK };
  let reason: EncryptReason = ENCRYPT_REASONS.UNENCRYPTED;
  if (head.sse) {
    if (sseSatisfies(head.sse, target)) return { action: 'skip', reason: SKIP_REASONS.ALREADY_ENCRYPTED };
    if (policy.onMismatch === 'skip') return { action: 'skip', reason: SKIP_REASONS.ENCRYPTED_DIFFERENTLY };
    reason = ENCRYPT_REASONS.MISMATCH;
  }
  if (head.objectType.toLowerCase() === 'appendable') return { action: 'skip', reason: SKIP_REASONS.APPENDABLE };
  if (needsRestore(head)) return { action: 'skip', reason: SKIP_REASONS.ARCHIVE_NOT_RESTORED };
  const method = head.size > policy.multipartThresholdBytes ? 'multipart' : 'copy';
  return { action: 'encrypt', reason, target, method };
}

/** The SSE request headers for a target (oss-api.md §1.1). */
export function sseHeaders(target: EncryptionTarget): Record<string, string> {
  const h: Record<string, string> = { 'x-oss-server-side-encryption': target.algorithm };
  if (target.algorithm === 'KMS' && target.kmsKeyId) h['x-oss-server-side-encryption-key-id'] = target.kmsKeyId;
  if (target.algorithm === 'KMS' && target.kmsDataEncryption) h['x-oss-server-side-data-encryption'] = target.kmsDataEncryption;
  return h;
}

/**
 * Every piece of metadata HEAD showed, as request headers. Content-Type is always sent: without it
 * ali-oss would add one guessed from the key's extension (oss-api.md §4.1).
 */
export function metadataHeaders(head: ObjectHead): Record<string, string> {
  const h: Record<string, string> = {};
  for (const name of STANDARD_METADATA_HEADERS) {
    const v = head.standard[name];
    if (v !== undefined) h[name] = v;
  }
  h['content-type'] ??= 'application/octet-stream';
  Object.assign(h, head.userMeta);
  h['x-oss-storage-class'] = head.storageClass;
  return h;
}

/**
 * The in-place CopyObject headers: REPLACE with all metadata (an in-place copy in an unversioned bucket takes the
 * request's metadata whatever the directive, oss-api.md §0.1), the copy guard (guard.ts), the ACL re-sent when it is
 * not `default` (a copy that changes encryption resets it: evidence §4), and the tags: sent explicitly with
 * `Replace` when the object has any (whether `Copy` keeps them on an in-place copy is unproven: evidence §7),
 * `Copy` otherwise (no extra request for untagged objects).
 */
export function copyHeaders(head: ObjectHead, target: EncryptionTarget, acl?: string, tags?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {
    ...metadataHeaders(head),
    ...sseHeaders(target),
    'x-oss-metadata-directive': 'REPLACE',
    ...copyConditions(head),
  };
  if (tags && Object.keys(tags).length > 0) {
    h['x-oss-tagging-directive'] = 'Replace';
    h['x-oss-tagging'] = taggingHeader(tags);
  } else {
    h['x-oss-tagging-directive'] = 'Copy';
  }
  if (acl && acl !== 'default') h['x-oss-object-acl'] = acl;
  return h;
}

/** `K=V&K2=V2`, URL-encoded, for `x-oss-tagging` on InitiateMultipartUpload. */
export function taggingHeader(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Human-readable SSE for messages: `KMS(key-id)+SM4`. */
export function describeSse(sse: ObjectSse | EncryptionTarget | undefined): string {
  if (!sse) return 'no encryption';
  const alg = sse.algorithm;
  const key = 'kmsKeyId' in sse && sse.kmsKeyId ? `(${sse.kmsKeyId})` : '';
  const data = ('dataEncryption' in sse ? sse.dataEncryption : 'kmsDataEncryption' in sse ? sse.kmsDataEncryption : undefined) ?? '';
  return `${alg}${key}${data ? `+${data}` : ''}`;
}

/**
 * Is `now` what rewriting `source` to `target` produces: same bytes (size and ETag), every metadata header, the
 * storage class, and the target encryption? Used after a 412 on the copy, which is also what a retried copy gets when
 * the first attempt's response was lost, or what a duplicate delivery gets when its twin won: such a result is ours
 * in every way that matters. A real newer change differs in at least one of these (or it would be the same object).
 */
export function isRewriteOf(now: ObjectHead, source: ObjectHead, target: EncryptionTarget): boolean {
  if (!sseSatisfies(now.sse, target) || now.size !== source.size || !sameEtag(now.etag, source.etag)) return false;
  if (now.storageClass !== source.storageClass) return false;
  if (source.versionId && now.versionId === source.versionId) return false;
  const a = metadataHeaders(now);
  const b = metadataHeaders(source);
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}
