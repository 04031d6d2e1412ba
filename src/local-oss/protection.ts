/**
 * Bucket-level write protection: overwrite-protection rules (PutBucketOverwriteConfig, [GO2]
 * oss/api_op_bucket_overwriteconfig.go) and the retention policy (WORM: InitiateBucketWorm, CompleteBucketWorm,
 * AbortBucketWorm, GetBucketWorm; https://help.aliyun.com/document_detail/90585.html). Shared by the HTTP
 * operations (ops/protection.ts), the write paths that must honour them, and the programmatic API.
 *
 * - Overwrite protection: a write onto an existing key matching a `forbid` rule (prefix and suffix) fails unless
 *   the requester is one of the rule's principals. The error code is not documented (oss-evidence.md §21); the
 *   choice is 409 FileAlreadyExists, what OSS answers the per-request `x-oss-forbid-overwrite: true`. As for that
 *   header, versioned (Enabled) buckets are not protected (nothing is lost by a new version).
 * - Retention: while a policy is Locked, or InProgress (its first 24 h), an object younger than the retention period
 *   (Last-Modified + days) cannot be overwritten, deleted or appended to: 409 FileImmutable. New keys can be written.
 */
import { randomBytes } from 'node:crypto';
import { OssError } from './errors';
import type { BucketRecord, BucketWorm, OverwriteRule } from './model';
import type { Services } from './operation';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A retention policy that is not locked within 24 hours lapses (InitiateBucketWorm doc). */
const IN_PROGRESS_MS = DAY_MS;
/** OSS: 1 day to 70 years. */
const MAX_RETENTION_DAYS = 70 * 365;

/** Who is writing: the AccessKeyId that signed, and the account for root credentials. */
export interface Requester { accessKeyId: string; sts: boolean }

function principalExempt(rule: OverwriteRule, who: Requester | undefined, accountId: string): boolean {
  if (!who || !rule.principals?.length) return false;
  // OSS names RAM principals (UIDs); locally a principal is an AccessKeyId, or the account id for root keys.
  return rule.principals.some((p) => p === who.accessKeyId || (!who.sts && p === accountId));
}

function ruleMatches(rule: OverwriteRule, key: string): boolean {
  return key.startsWith(rule.prefix ?? '') && key.endsWith(rule.suffix ?? '');
}

/** The retention policy in force, or undefined (none, or InProgress for more than 24 h). */
export function activeWorm(b: BucketRecord, now: number): BucketWorm | undefined {
  const w = b.worm;
  if (!w) return undefined;
  if (w.state === 'InProgress' && now - w.createdAt >= IN_PROGRESS_MS) return undefined;
  return w;
}

function assertNotRetained(svc: Services, b: BucketRecord, key: string, what: string): void {
  const worm = activeWorm(b, svc.now());
  const current = svc.state.current(b.name, key);
  if (!worm || !current) return;
  const until = current.lastModified + worm.retentionDays * DAY_MS;
  if (svc.now() < until) {
    throw new OssError('FileImmutable', `The object "${key}" is under the bucket's retention policy until ${new Date(until).toISOString()} and cannot be ${what}.`,
      { Key: key, WormId: worm.wormId });
  }
}

/** Throws when writing `key` (a PutObject, CopyObject, CompleteMultipartUpload or PutSymlink) would overwrite a protected object. */
export function assertOverwritable(svc: Services, bucket: string, key: string, who: Requester | undefined): void {
  const b = svc.state.requireBucket(bucket);
  if (!svc.state.current(b.name, key)) return;
  assertNotRetained(svc, b, key, 'overwritten');
  if (b.versioning === 'Enabled') return;
  const rule = (b.overwriteRules ?? []).find((r) => ruleMatches(r, key) && !principalExempt(r, who, svc.accountId));
  if (rule) {
    throw new OssError('FileAlreadyExists', `The object "${key}" already exists and the bucket's overwrite protection${rule.id ? ` (rule ${rule.id})` : ''} forbids overwriting it.`, { Key: key });
  }
}

/** Throws when `key` may not be deleted or appended to (retention). */
export function assertModifiable(svc: Services, bucket: string, key: string, what: 'deleted' | 'appended to'): void {
  assertNotRetained(svc, svc.state.requireBucket(bucket), key, what);
}

export function validateOverwriteRules(rules: OverwriteRule[]): OverwriteRule[] {
  if (rules.length > 100) throw new OssError('InvalidArgument', 'An overwrite configuration has at most 100 rules.', { ArgumentName: 'Rule' });
  return rules.map((r, i) => {
    if (r.action !== 'forbid') throw new OssError('InvalidArgument', `Rule ${r.id ?? i + 1}: Action must be "forbid", got "${String(r.action)}".`, { ArgumentName: 'Action' });
    return {
      ...(r.id ? { id: r.id } : {}), action: 'forbid',
      ...(r.prefix ? { prefix: r.prefix } : {}), ...(r.suffix ? { suffix: r.suffix } : {}),
      ...(r.principals?.length ? { principals: [...r.principals] } : {}),
    };
  });
}

export async function putOverwriteRules(svc: Services, bucket: string, rules: OverwriteRule[]): Promise<void> {
  const b = svc.state.requireBucket(bucket);
  const valid = validateOverwriteRules(rules);
  const { overwriteRules: _old, ...rest } = b;
  await svc.state.putBucket(valid.length ? { ...rest, overwriteRules: valid } : rest);
}

export async function initiateWorm(svc: Services, bucket: string, retentionDays: number): Promise<string> {
  const b = svc.state.requireBucket(bucket);
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new OssError('InvalidArgument', `RetentionPeriodInDays must be an integer from 1 to ${MAX_RETENTION_DAYS}, got "${retentionDays}".`, { ArgumentName: 'RetentionPeriodInDays' });
  }
  if (b.versioning !== 'Off') {
    throw new OssError('InvalidArgument', 'A bucket with versioning cannot have a retention policy.', { ArgumentName: 'worm' });
  }
  if (activeWorm(b, svc.now())) {
    throw new OssError('InvalidArgument', 'The bucket already has a retention policy; abort it (if InProgress) or extend it.', { ArgumentName: 'worm' });
  }
  const worm: BucketWorm = { wormId: randomBytes(8).toString('hex').toUpperCase(), state: 'InProgress', retentionDays, createdAt: svc.now() };
  await svc.state.putBucket({ ...b, worm });
  return worm.wormId;
}

export async function completeWorm(svc: Services, bucket: string, wormId: string): Promise<void> {
  const b = svc.state.requireBucket(bucket);
  const worm = activeWorm(b, svc.now());
  if (!worm || worm.wormId !== wormId) throw new OssError('NoSuchWORMConfiguration', `No retention policy with id "${wormId}" on this bucket.`, { BucketName: b.name });
  await svc.state.putBucket({ ...b, worm: { ...worm, state: 'Locked' } });
}

export async function abortWorm(svc: Services, bucket: string): Promise<void> {
  const b = svc.state.requireBucket(bucket);
  const worm = activeWorm(b, svc.now());
  if (!worm) throw new OssError('NoSuchWORMConfiguration', undefined, { BucketName: b.name });
  if (worm.state === 'Locked') throw new OssError('AccessDenied', 'A locked retention policy cannot be deleted.', { BucketName: b.name });
  const { worm: _old, ...rest } = b;
  await svc.state.putBucket(rest);
}
