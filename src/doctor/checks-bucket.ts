/**
 * Credentials, account and bucket checks: read-only bucket-level requests, each turned into one ✔/✗/! line.
 * Sources for the rules: oss-evidence.md §3 (versioned copies leave the plaintext version), §4 (ACL reset when
 * PRESERVE_ACL=false), §21 (overwrite protection, retention → FileImmutable).
 */
import type { Policy } from '../config';
import { describeSse } from '../core/decide';
import { OssOperationError } from '../errors';
import { fail, ok, skip, warn, type Check } from './report';
import { isOssCode, ramAction, short, type DoctorContext } from './context';

const denied = (group: 'credentials' | 'bucket', id: string, title: string, err: OssOperationError, ctx: DoctorContext): Check =>
  fail(group, id, title, `AccessDenied: these credentials may not call ${err.operation}`, `grant ${ramAction(err.operation)} on acs:oss:*:*:${ctx.bucket} to the RAM user running doctor (read-only)`);

/** Keys work and name their account. Returns false when nothing else can run (bad keys). */
export async function checkCredentials(ctx: DoctorContext): Promise<{ checks: Check[]; usable: boolean }> {
  const title = 'Credentials and account';
  try {
    const o = await ctx.admin.owner(ctx.bucket);
    ctx.facts.accountId = o.id;
    return { checks: [ok('credentials', 'credentials', title, `the keys work; account ${o.id}`)], usable: true };
  } catch (err) {
    if (isOssCode(err, 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'SecurityTokenExpired', 'InvalidSecurityToken')) {
      return {
        checks: [fail('credentials', 'credentials', title, `${err.ossCode}: OSS refused these keys`, 'check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)')],
        usable: false,
      };
    }
    if (isOssCode(err, 'AccessDenied')) {
      // A RAM user limited to one bucket may not list buckets; the account is then read from GetBucketInfo.
      return { checks: [warn('credentials', 'credentials', title, 'the keys are accepted, but ListBuckets is denied (account read from the bucket instead)', 'optional: grant oss:ListBuckets so doctor can name the account before touching the bucket')], usable: true };
    }
    return { checks: [fail('credentials', 'credentials', title, `cannot reach OSS at ${ctx.admin.endpoint}: ${short(err)}`, 'check --endpoint / --region and your network')], usable: false };
  }
}

/** Exists, region, owner. Returns false when the bucket cannot be used (missing, wrong region, denied). */
export async function checkBucket(ctx: DoctorContext): Promise<{ checks: Check[]; usable: boolean }> {
  try {
    const info = await ctx.admin.bucketGet(ctx.bucket, 'bucketInfo');
    const b = (info.data.Bucket ?? {}) as Record<string, unknown>;
    ctx.facts.bucketExists = true;
    const location = String(b.Location ?? '').replace(/^oss-/, '');
    const ownerId = String((b.Owner as { ID?: string } | undefined)?.ID ?? '');
    if (ownerId) ctx.facts.accountId ??= ownerId;
    const checks: Check[] = [ok('bucket', 'bucket.exists', 'Bucket', `oss://${ctx.bucket} exists${ownerId ? `, owned by account ${ownerId}` : ''}`)];
    if (location && location !== ctx.region) {
      checks.push(fail('bucket', 'bucket.region', 'Region', `the bucket is in ${location}, not ${ctx.region}`,
        `run with --region ${location} and deploy the function in ${location} (REGION=${location} npx s deploy): an OSS trigger only invokes a function in the bucket's region`));
      return { checks, usable: false };
    }
    checks.push(ok('bucket', 'bucket.region', 'Region', `${location || ctx.region}, as given`));
    return { checks, usable: true };
  } catch (err) {
    if (isOssCode(err, 'NoSuchBucket')) {
      ctx.facts.bucketExists = false;
      return { checks: [fail('bucket', 'bucket.exists', 'Bucket', `oss://${ctx.bucket} does not exist in ${ctx.region} (${short(err)})`, `check --bucket and --region, or create it: ossutil mb oss://${ctx.bucket} --region ${ctx.region}`)], usable: false };
    }
    if (err instanceof OssOperationError && /specified endpoint|Endpoint/i.test(err.message)) {
      const endpoint = /([a-z0-9.-]*oss-[a-z0-9-]+(?:-internal)?\.aliyuncs\.com)/.exec(err.message)?.[1];
      return { checks: [fail('bucket', 'bucket.region', 'Region', `the bucket is not in ${ctx.region}${endpoint ? ` (OSS points at ${endpoint})` : ''}`, 'run with the bucket\'s region (--region) and deploy the function there: an OSS trigger only invokes a function in the bucket\'s region')], usable: false };
    }
    if (isOssCode(err, 'AccessDenied')) return { checks: [denied('bucket', 'bucket.exists', 'Bucket', err, ctx)], usable: false };
    return { checks: [fail('bucket', 'bucket.exists', 'Bucket', `cannot read the bucket: ${short(err)}`, 'check --bucket, --region and --endpoint')], usable: false };
  }
}

export async function checkVersioning(ctx: DoctorContext, policy: Policy | undefined): Promise<Check> {
  const title = 'Versioning';
  try {
    const a = await ctx.admin.bucketGet(ctx.bucket, 'versioning');
    const status = String(a.data.Status ?? '');
    const state = status === 'Enabled' || status === 'Suspended' ? status : 'Off';
    ctx.facts.versioning = state;
    ctx.scratch.versioned = state !== 'Off';
    const mode = policy?.versionedPlaintext ?? 'keep';
    if (state === 'Off') return ok('bucket', 'bucket.versioning', title, 'off: the in-place copy replaces the plaintext object');
    if (state === 'Suspended') {
      return warn('bucket', 'bucket.versioning', title, 'suspended: objects written while versioning was on keep their older (plaintext) versions',
        'remove old plaintext versions with a lifecycle rule for noncurrent versions, or re-enable versioning with VERSIONED_PLAINTEXT=delete');
    }
    if (mode === 'delete') return ok('bucket', 'bucket.versioning', title, 'enabled; VERSIONED_PLAINTEXT=delete removes the plaintext version each copy leaves behind');
    return fail('bucket', 'bucket.versioning', title, 'enabled with VERSIONED_PLAINTEXT=keep: every encrypted object keeps its plaintext as a noncurrent version, readable by version id',
      'set VERSIONED_PLAINTEXT=delete (the role then needs oss:DeleteObjectVersion), or expire noncurrent versions with a lifecycle rule');
  } catch (err) {
    if (isOssCode(err, 'AccessDenied')) return denied('bucket', 'bucket.versioning', title, err, ctx);
    return warn('bucket', 'bucket.versioning', title, `could not be read: ${short(err)}`, 'check the versioning state in the OSS console');
  }
}

export async function checkBucketEncryption(ctx: DoctorContext, policy: Policy | undefined): Promise<Check> {
  const title = 'Bucket default encryption';
  try {
    const a = await ctx.admin.bucketGet(ctx.bucket, 'encryption');
    const d = (a.data.ApplyServerSideEncryptionByDefault ?? {}) as Record<string, string>;
    const rule = { algorithm: String(d.SSEAlgorithm ?? ''), ...(d.KMSMasterKeyID ? { kmsKeyId: String(d.KMSMasterKeyID) } : {}) };
    ctx.facts.bucketEncryption = rule;
    const bucketSse = `${rule.algorithm}${rule.kmsKeyId ? ` (key ${rule.kmsKeyId})` : ''}`;
    if (!policy) return warn('bucket', 'bucket.encryption', title, `${bucketSse} for new uploads`, 'fix the policy first (see Policy)');
    const same = rule.algorithm === policy.defaultTarget.algorithm && (rule.kmsKeyId ?? undefined) === (policy.defaultTarget.kmsKeyId ?? undefined);
    if (same) {
      return warn('bucket', 'bucket.encryption', title, `${bucketSse}, the same as SSE_ALGORITHM: OSS already encrypts new uploads and the function will skip them (already-encrypted)`,
        'keep the function only for objects written before the rule (backfill) or for per-prefix SSE_RULES; otherwise the bucket rule alone is enough');
    }
    return warn('bucket', 'bucket.encryption', title, `${bucketSse}, but this policy wants ${describeSse(policy.defaultTarget)}`,
      policy.onMismatch === 'reencrypt'
        ? 'SSE_ON_MISMATCH=reencrypt rewrites every new upload a second time; make the bucket rule and SSE_ALGORITHM agree'
        : 'with SSE_ON_MISMATCH=skip new uploads keep the bucket\'s encryption; make the bucket rule and SSE_ALGORITHM agree, or set SSE_ON_MISMATCH=reencrypt');
  } catch (err) {
    if (isOssCode(err, 'NoSuchServerSideEncryptionRule')) return ok('bucket', 'bucket.encryption', title, 'none: new uploads arrive unencrypted and the function encrypts them');
    if (isOssCode(err, 'AccessDenied')) return denied('bucket', 'bucket.encryption', title, err, ctx);
    return warn('bucket', 'bucket.encryption', title, `could not be read: ${short(err)}`, 'check the bucket\'s server-side encryption setting in the OSS console');
  }
}

export async function checkBucketAcl(ctx: DoctorContext, policy: Policy | undefined): Promise<Check> {
  const title = 'Bucket ACL';
  try {
    const a = await ctx.admin.bucketGet(ctx.bucket, 'acl');
    const acl = String((a.data.AccessControlList as { Grant?: string } | undefined)?.Grant ?? '');
    ctx.facts.bucketAcl = acl;
    const preserve = policy?.preserveAcl ?? true;
    if (acl.startsWith('public') && !preserve) {
      return warn('bucket', 'bucket.acl', title, `${acl} with PRESERVE_ACL=false: every rewritten object's ACL becomes "default", so a private object becomes ${acl}`,
        'set PRESERVE_ACL=true (the function then reads and re-sends each object\'s ACL)');
    }
    if (acl === 'public-read-write') {
      return warn('bucket', 'bucket.acl', title, 'public-read-write: anyone can write objects here', 'make the bucket private unless anonymous writes are intended');
    }
    return ok('bucket', 'bucket.acl', title, `${acl}; ${preserve ? 'each object\'s own ACL is read and kept (PRESERVE_ACL=true)' : 'PRESERVE_ACL=false: rewritten objects get ACL "default" (= the bucket\'s, ' + acl + ')'}`);
  } catch (err) {
    if (isOssCode(err, 'AccessDenied')) return denied('bucket', 'bucket.acl', title, err, ctx);
    return warn('bucket', 'bucket.acl', title, `could not be read: ${short(err)}`, 'check the bucket ACL in the OSS console');
  }
}

/** Retention (WORM): objects cannot be overwritten or deleted while it lasts. */
export async function checkRetention(ctx: DoctorContext): Promise<Check> {
  const title = 'Retention (WORM)';
  try {
    const a = await ctx.admin.bucketGet(ctx.bucket, 'worm');
    if (a.root !== 'WormConfiguration') return retentionUnknown(ctx, `unexpected answer <${a.root}>`, warn('bucket', 'bucket.retention', title, `could not be read (unexpected answer <${a.root}>)`, 'check the bucket\'s retention policy in the OSS console'));
    const state = String(a.data.State ?? '');
    const days = Number(a.data.RetentionPeriodInDays ?? 0);
    if (state === 'Locked' || state === 'InProgress') {
      ctx.facts.retentionDays = days;
      ctx.facts.retention = 'in-force';
      return fail('bucket', 'bucket.retention', title, `a retention policy (${state}, ${days} day(s)) makes every object immutable: the in-place rewrite fails with FileImmutable`,
        'the function cannot encrypt objects under retention; use bucket default encryption (PutBucketEncryption) for new uploads instead, or a bucket without retention');
    }
    ctx.facts.retention = 'not-in-force';
    return ok('bucket', 'bucket.retention', title, `retention policy ${state || 'present'} but not in force`);
  } catch (err) {
    if (isOssCode(err, 'NoSuchWORMConfiguration') || (err instanceof OssOperationError && err.status === 404 && !isOssCode(err, 'NoSuchBucket'))) {
      ctx.facts.retention = 'absent';
      return ok('bucket', 'bucket.retention', title, 'none: objects can be rewritten in place');
    }
    if (isOssCode(err, 'AccessDenied')) return retentionUnknown(ctx, short(err), denied('bucket', 'bucket.retention', title, err, ctx));
    return retentionUnknown(ctx, short(err), warn('bucket', 'bucket.retention', title, `could not be read: ${short(err)}`, 'check the bucket\'s retention policy in the OSS console'));
  }
}

/**
 * Retention could not be read: a scratch object written under a retention policy could not be deleted for its
 * whole period, so the doctor fails closed and writes nothing (the line says so, with the fix).
 */
function retentionUnknown(ctx: DoctorContext, why: string, check: Check): Check {
  ctx.facts.retention = 'unknown';
  const line = `retention unknown (${why}): nothing is written, because a scratch object under a retention policy could not be deleted`;
  return { ...check, details: [...(check.details ?? []), line, 'the KMS check, semantics probe, role check and trigger delivery are skipped; grant oss:GetBucketWorm to the RAM user running doctor to run them'] };
}

interface OverwriteRule { id: string; prefix: string; suffix: string; principals: string[] }

/** Bucket overwrite protection (PutBucketOverwriteConfig, oss-evidence.md §21): an in-place rewrite is an overwrite. */
export async function checkOverwriteProtection(ctx: DoctorContext): Promise<Check> {
  const title = 'Overwrite protection';
  try {
    const a = await ctx.admin.bucketGet(ctx.bucket, 'overwriteConfig');
    if (a.root !== 'OverwriteConfiguration') return warn('bucket', 'bucket.overwrite', title, `could not be read (unexpected answer <${a.root}>)`, 'check the bucket\'s overwrite protection rules in the OSS console');
    const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]) as Array<Record<string, unknown>>;
    const rules: OverwriteRule[] = list(a.data.Rule)
      .filter((r) => String(r.Action ?? 'forbid').toLowerCase() === 'forbid')
      .map((r, i) => ({
        id: String(r.ID ?? `#${i + 1}`), prefix: String(r.Prefix ?? ''), suffix: String(r.Suffix ?? ''),
        principals: list((r.Principals as { Principal?: unknown } | undefined)?.Principal).map(String),
      }));
    if (rules.length === 0) return ok('bucket', 'bucket.overwrite', title, 'no rule forbids overwrites');
    const details = rules.map((r) => `rule ${r.id}: forbids overwriting ${r.prefix || ''}*${r.suffix || ''}${r.principals.length ? ` except for ${r.principals.join(', ')}` : ''}`);
    const open = rules.filter((r) => r.principals.length === 0);
    if (open.length) {
      return fail('bucket', 'bucket.overwrite', title, `${open.length} rule(s) forbid overwriting objects: the in-place rewrite of matching objects fails`,
        'add the function\'s role as a Principal of each rule (PutBucketOverwriteConfig), or remove the rule', details);
    }
    return warn('bucket', 'bucket.overwrite', title, 'overwrite protection allows only listed principals', 'make sure the function\'s role is one of the Principals', details);
  } catch (err) {
    if (err instanceof OssOperationError && err.status === 404 && !isOssCode(err, 'NoSuchBucket')) return ok('bucket', 'bucket.overwrite', title, 'none: objects can be rewritten in place');
    if (isOssCode(err, 'AccessDenied')) return denied('bucket', 'bucket.overwrite', title, err, ctx);
    return warn('bucket', 'bucket.overwrite', title, `could not be read: ${short(err)}`, 'check the bucket\'s overwrite protection rules in the OSS console');
  }
}

export const skippedBucketChecks = (why: string): Check[] => [
  skip('bucket', 'bucket.versioning', 'Versioning', why), skip('bucket', 'bucket.encryption', 'Bucket default encryption', why),
  skip('bucket', 'bucket.acl', 'Bucket ACL', why), skip('bucket', 'bucket.retention', 'Retention (WORM)', why),
  skip('bucket', 'bucket.overwrite', 'Overwrite protection', why),
];
