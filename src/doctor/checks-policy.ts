/**
 * Policy checks: the SSE_* environment loads through the function's own validation (src/config.ts loadPolicy), and
 * every KMS key the policy names is usable for this bucket, proven by one tiny scratch PutObject per key (OSS
 * itself calls KMS GenerateDataKey in the bucket's region; oss-evidence.md §17 lists the real error codes).
 */
import { loadPolicy, type EncryptionTarget, type Policy } from '../config';
import { describeSse, sseHeaders } from '../core/decide';
import { ConfigError } from '../errors';
import { checkAbort, isOssCode, ramAction, short, type DoctorContext } from './context';
import { fail, ok, skip, warn, type Check } from './report';

export function checkPolicy(ctx: DoctorContext): { checks: Check[]; policy?: Policy } {
  let policy: Policy;
  try {
    policy = loadPolicy(ctx.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      checks: [fail('policy', 'policy.load', 'Policy (SSE_* environment)', 'does not load: the function would refuse to start with the same error',
        'fix the variables listed below (docs/function.md has every accepted value)', [...err.problems])],
    };
  }
  const rules = policy.rules.length ? `, ${policy.rules.length} SSE_RULES rule(s)` : '';
  const checks: Check[] = [ok('policy', 'policy.load', 'Policy (SSE_* environment)', `loads: ${describeSse(policy.defaultTarget)}${rules}, SSE_ON_MISMATCH=${policy.onMismatch}, PRESERVE_ACL=${policy.preserveAcl}, VERSIONED_PLAINTEXT=${policy.versionedPlaintext}`)];
  if (policy.allowedBuckets && !policy.allowedBuckets.includes(ctx.bucket)) {
    checks.push(fail('policy', 'policy.allowed-buckets', 'ALLOWED_BUCKETS', `${policy.allowedBuckets.join(', ')} does not include ${ctx.bucket}: every event from it would be refused`, `add ${ctx.bucket} to ALLOWED_BUCKETS, or unset it`));
  }
  if (policy.dryRun) checks.push(warn('policy', 'policy.dry-run', 'DRY_RUN', 'true: the function only logs what it would do and encrypts nothing', 'set DRY_RUN=false when you are ready'));
  return { checks, policy };
}

/** Distinct KMS targets of the policy (default and rules). */
export function kmsTargets(policy: Policy): EncryptionTarget[] {
  const all = [policy.defaultTarget, ...policy.rules.flatMap((r) => (r.target ? [r.target] : []))].filter((t) => t.algorithm === 'KMS');
  const seen = new Map<string, EncryptionTarget>();
  for (const t of all) seen.set(describeSse(t), t);
  return [...seen.values()];
}

const KMS_FIX: Record<string, string> = {
  KeyNotFound: 'check SSE_KMS_KEY_ID (or the rule\'s kmsKeyId): no such key in this region and account; keys are regional',
  KmsKeyNotFound: 'check SSE_KMS_KEY_ID (or the rule\'s kmsKeyId): no such key in this region and account; keys are regional',
  AliasNotFound: 'check the alias in SSE_KMS_KEY_ID: it names no key in this region',
  KeyDisabled: 'enable the key in the KMS console (or point SSE_KMS_KEY_ID at an enabled key)',
  KmsKeyDisabled: 'enable the key in the KMS console (or point SSE_KMS_KEY_ID at an enabled key)',
  KeyPendingDeletion: 'cancel the key\'s scheduled deletion in the KMS console, or use another key',
  KmsKeyPendingDeletion: 'cancel the key\'s scheduled deletion in the KMS console, or use another key',
  KmsServiceNotEnabled: 'activate KMS in this region, or use SSE_ALGORITHM=AES256',
  KmsUbsmsInvalidBid: 'activate KMS in this region, or use SSE_ALGORITHM=AES256',
};

export async function checkKmsKeys(ctx: DoctorContext, policy: Policy): Promise<Check[]> {
  const targets = kmsTargets(policy);
  const title = 'KMS key';
  if (targets.length === 0) return [skip('policy', 'policy.kms', title, 'the policy uses no KMS key')];
  if (!ctx.write) return [warn('policy', 'policy.kms', title, `${targets.map((t) => describeSse(t)).join(', ')}: not verified (--no-write)`, 'run without --no-write to prove the key encrypts in this bucket')];
  if (ctx.facts.writeBlocked) return [skip('policy', 'policy.kms', title, `not verified: ${ctx.facts.writeBlocked}`)];
  const checks: Check[] = [];
  let n = 0;
  for (const target of targets) {
    checkAbort(ctx.signal);
    const key = ctx.scratch.key(`kms-${++n}.bin`);
    const name = target.kmsKeyId ?? 'the default managed key (alias/acs/oss)';
    try {
      const h = await ctx.admin.put(ctx.bucket, key, Buffer.from('k'), { ...sseHeaders(target), 'content-type': 'application/octet-stream' });
      const used = h['x-oss-server-side-encryption-key-id'];
      checks.push(ok('policy', 'policy.kms', title, `${name}: enabled and usable for ${ctx.bucket} in ${ctx.region}${used && used !== target.kmsKeyId ? ` (key id ${used})` : ''}`));
    } catch (err) {
      if (isOssCode(err, ...Object.keys(KMS_FIX))) {
        checks.push(fail('policy', 'policy.kms', title, `${name}: ${err.ossCode} (HTTP ${err.status})`, KMS_FIX[err.ossCode]!));
      } else if (isOssCode(err, 'AccessDenied')) {
        checks.push(fail('policy', 'policy.kms', title, `${name}: AccessDenied on ${err.operation} (${err.message.split(';')[0]})`, `grant ${ramAction(err.operation)} and kms:GenerateDataKey on the key to the user running doctor`));
      } else {
        checks.push(fail('policy', 'policy.kms', title, `${name}: ${short(err)}`, 'check SSE_KMS_KEY_ID and that KMS is activated in this region'));
      }
    }
  }
  return checks;
}
