/**
 * Least-privilege RAM policies for the deployment, generated from the function's configured Policy
 * (src/config.ts): what the function role may do, whom it trusts, and what the OSS trigger role may
 * invoke. Action mapping per function-compute.md §5 (HeadObject = oss:GetObject; CopyObject and
 * UploadPartCopy = GetObject + PutObject; KMS destinations need kms:GenerateDataKey + kms:Decrypt).
 */
import type { EncryptionTarget, Policy } from '../config';
import { DeployInputError } from './errors';

export interface RamStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}
export interface RamPolicyDocument {
  Version: '1';
  Statement: RamStatement[];
}
export interface TrustPolicyDocument {
  Version: '1';
  Statement: { Effect: 'Allow'; Action: 'sts:AssumeRole'; Principal: { Service: string[] } }[];
}

/** The parts of the function's Policy that decide which permissions it needs. */
export type PolicyFacts = Pick<Policy, 'defaultTarget' | 'rules' | 'onMismatch' | 'dryRun' | 'preserveAcl' | 'versionedPlaintext'>;

export interface DeploymentTarget {
  accountId: string;
  bucket: string;
  region: string;
  /** The trigger's key prefix; '' or undefined = the whole bucket. */
  prefix?: string;
  /**
   * Only for an FC 2.0 service role: the SLS project/logstore it writes to. FC 3.0 ships a function's logs through the
   * service-linked role AliyunServiceRoleForFC, so its function role needs no log:* (oss-evidence.md §32): omit both.
   */
  logProject?: string;
  logstore?: string;
  /**
   * The policy is for the identity that runs `backfill` (locally, not --fanout): the same object actions plus
   * oss:ListObjects on the bucket (limited to the prefix), which the trigger-driven function never calls.
   */
  backfill?: boolean;
  /** ON_FAILURE_DESTINATION: acs:fc:…:functions/<fn>, or an acs:mns queue/topic ARN. */
  onFailureDestination?: string;
  /** With SSE_ON_MISMATCH=reencrypt: key ids objects may already be encrypted with (the copy decrypts them). */
  previousKmsKeyIds?: readonly string[];
}

export interface GeneratedPolicy {
  document: RamPolicyDocument;
  /** Where the generator had to be broader than ideal, and what to do about it. */
  warnings: string[];
}

const ACCOUNT_ID = /^\d{5,20}$/;
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}-[a-z0-9-]+$/;
const KEY_ID = /^[A-Za-z0-9_.:/-]{1,256}$/;
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const SLS_NAME = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

function checkTarget(t: DeploymentTarget): void {
  const problems: string[] = [];
  if (!ACCOUNT_ID.test(t.accountId)) problems.push(`account id "${t.accountId}" is not valid; use the numeric Alibaba Cloud account id (UID), e.g. from \`aliyun sts GetCallerIdentity\`.`);
  if (!BUCKET.test(t.bucket)) problems.push(`bucket "${t.bucket}" is not a valid OSS bucket name (3–63 of a-z, 0-9, '-', not starting or ending with '-').`);
  if (!REGION.test(t.region)) problems.push(`region "${t.region}" is not a region id such as cn-hangzhou.`);
  if (t.prefix !== undefined && /[*?]/.test(t.prefix)) problems.push(`prefix "${t.prefix}" contains a wildcard; give the literal key prefix, e.g. uploads/.`);
  if ((t.logProject === undefined) !== (t.logstore === undefined)) problems.push('give both the SLS project and logstore, or neither.');
  if (t.logProject !== undefined && !SLS_NAME.test(t.logProject)) problems.push(`SLS project "${t.logProject}" is not a valid project name.`);
  if (t.logstore !== undefined && !SLS_NAME.test(t.logstore)) problems.push(`SLS logstore "${t.logstore}" is not a valid logstore name.`);
  if (t.onFailureDestination !== undefined && !/^acs:(fc|mns):/.test(t.onFailureDestination)) {
    problems.push(`onFailure destination "${t.onFailureDestination}" is not an acs:fc:… function or acs:mns:… queue/topic ARN.`);
  }
  for (const id of t.previousKmsKeyIds ?? []) if (!KEY_ID.test(id)) problems.push(`KMS key id "${id}" is not valid.`);
  if (problems.length) throw new DeployInputError(problems);
}

/** Every target the function may encrypt to: the default plus each non-skip rule's. */
function encryptionTargets(policy: PolicyFacts): EncryptionTarget[] {
  return [policy.defaultTarget, ...policy.rules.flatMap((r) => (r.skip || !r.target ? [] : [r.target]))];
}

/**
 * The RAM resource of a key as SSE_KMS_KEY_ID names it: a full ARN verbatim; an alias (`alias/<name>`) as the alias
 * resource acs:kms:<region>:<account>:alias/<name>, not `key/alias/…`, which names nothing; else key/<id>.
 */
export function kmsKeyArn(t: Pick<DeploymentTarget, 'region' | 'accountId'>, keyId: string): string {
  if (keyId.startsWith('acs:kms:')) return keyId;
  if (keyId.startsWith('alias/')) return `acs:kms:${t.region}:${t.accountId}:${keyId}`;
  return `acs:kms:${t.region}:${t.accountId}:key/${keyId}`;
}

const isAlias = (arn: string): boolean => /^acs:kms:[^:]*:[^:]*:alias\//.test(arn);

const uniq = (xs: string[]): string[] => [...new Set(xs)];

/** The function role's permission policy for `policy` deployed on `target`. Throws DeployInputError on bad input. */
export function buildFunctionRolePolicy(policy: PolicyFacts, target: DeploymentTarget): GeneratedPolicy {
  checkTarget(target);
  const warnings: string[] = [];
  const statements: RamStatement[] = [];
  const objects = `acs:oss:*:${target.accountId}:${target.bucket}/${target.prefix ?? ''}*`;

  // HeadObject needs oss:GetObject. A dry run calls nothing else: it decides from the HEAD and stops
  // (src/core/encrypt.ts) before the ACL read, the copy or the tags.
  const oss = ['oss:GetObject'];
  if (policy.preserveAcl && !policy.dryRun) oss.push('oss:GetObjectAcl');
  if (!policy.dryRun) {
    // CopyObject/Initiate/UploadPartCopy/Complete write the target (PutObject); Abort cleans up a failed multipart copy.
    oss.push('oss:PutObject', 'oss:AbortMultipartUpload');
    // Tags: kept by the copy's tagging directive, read and re-sent on the multipart path.
    oss.push('oss:GetObjectTagging', 'oss:PutObjectTagging');
    if (policy.preserveAcl) oss.push('oss:PutObjectAcl');
    // VERSIONED_PLAINTEXT=delete removes exactly the plaintext version after the encrypted one is confirmed.
    if (policy.versionedPlaintext === 'delete') oss.push('oss:GetObjectVersion', 'oss:DeleteObjectVersion');
  }
  statements.push({ Effect: 'Allow', Action: uniq(oss).sort(), Resource: [objects] });
  if (target.backfill) {
    // ListObjects is authorised on the bucket; the oss:Prefix condition keeps it to the prefix being backfilled.
    statements.push({
      Effect: 'Allow',
      Action: ['oss:ListObjects'],
      Resource: [`acs:oss:*:${target.accountId}:${target.bucket}`],
      ...(target.prefix ? { Condition: { StringLike: { 'oss:Prefix': [`${target.prefix}*`] } } } : {}),
    });
  }

  if (!policy.dryRun) {
    const kms = encryptionTargets(policy).filter((t) => t.algorithm === 'KMS');
    if (kms.length > 0) {
      // A key given as an ARN is granted on that ARN verbatim, not rebuilt in the deployment's region and account.
      const named = uniq(kms.flatMap((t) => (t.kmsKeyArn ? [t.kmsKeyArn] : t.kmsKeyId ? [t.kmsKeyId] : [])));
      const badKeys = named.filter((id) => !KEY_ID.test(id));
      if (badKeys.length) throw new DeployInputError(badKeys.map((id) => `KMS key id "${id}" (SSE_KMS_KEY_ID or SSE_RULES) is not valid.`));
      const resources = named.map((id) => kmsKeyArn(target, id));
      if (kms.some((t) => !t.kmsKeyId)) {
        // UNCONFIRMED whether the OSS-managed default CMK needs the caller's KMS permissions, and its id is
        // only known after the first KMS object (HEAD: x-oss-server-side-encryption-key-id).
        resources.push(`acs:kms:${target.region}:${target.accountId}:key/*`);
        warnings.push(
          'KMS with the OSS-managed default key (no key id): granted on key/* in the region because its id is not known in advance; ' +
            'once an object is encrypted, replace key/* with the id from its x-oss-server-side-encryption-key-id header, or set SSE_KMS_KEY_ID.',
        );
      }
      // kms:DescribeKey is UNCONFIRMED as needed but harmless (function-compute.md §5).
      statements.push({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'], Resource: uniq(resources) });
    }
    if (policy.onMismatch === 'reencrypt') {
      // Re-encrypting copies objects already under another key; reading them through the copy needs kms:Decrypt on that key.
      const previous = target.previousKmsKeyIds ?? [];
      if (previous.length > 0) {
        statements.push({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: uniq(previous.map((id) => kmsKeyArn(target, id))) });
      } else {
        statements.push({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [`acs:kms:${target.region}:${target.accountId}:key/*`] });
        warnings.push(
          'SSE_ON_MISMATCH=reencrypt: kms:Decrypt granted on every key in the region because the keys objects are currently encrypted with are unknown; ' +
            'name them (--previous-kms-key <id>, repeatable) to narrow it.',
        );
      }
    }
  }

  if (target.logProject !== undefined && target.logstore !== undefined) {
    statements.push({
      Effect: 'Allow',
      Action: ['log:PostLogStoreLogs'],
      Resource: [`acs:log:${target.region}:${target.accountId}:project/${target.logProject}/logstore/${target.logstore}`],
    });
  }

  const dest = target.onFailureDestination;
  if (dest !== undefined) {
    // Destination ARNs may leave region/account empty (acs:mns:::/queues/q/messages); RAM resources name them.
    const parts = dest.split(':');
    const resource = [parts[0], parts[1], parts[2] || target.region, parts[3] || target.accountId, parts.slice(4).join(':')].join(':');
    const action = parts[1] === 'fc' ? 'fc:InvokeFunction' : /\/topics\//.test(dest) ? 'mns:PublishMessage' : 'mns:SendMessage';
    statements.push({ Effect: 'Allow', Action: [action], Resource: [resource] });
  }
  // loadPolicy refuses an alias as SSE_KMS_KEY_ID (OSS reports key ids, so the copy could not be confirmed), but
  // --previous-kms-key, or a Policy built by hand, may still name one.
  const aliases = uniq(statements.flatMap((st) => st.Resource).filter(isAlias));
  if (aliases.length) {
    warnings.push(
      `KMS ${aliases.join(', ')} ${aliases.length > 1 ? 'are aliases' : 'is an alias'}: granted on the alias resource. Whether KMS authorises ` +
        'GenerateDataKey/Decrypt through an alias on the alias or on the key behind it is UNCONFIRMED; name the key id instead to be sure.',
    );
  }
  return { document: { Version: '1', Statement: statements }, warnings };
}

/** Trust policy letting `service` assume the role: fc.aliyuncs.com for the function role, oss.aliyuncs.com for the trigger role. */
export function buildTrustPolicy(service: 'fc.aliyuncs.com' | 'oss.aliyuncs.com'): TrustPolicyDocument {
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [service] } }] };
}

/** The OSS trigger role's policy: invoke this one function (instead of the broad AliyunFCInvocationAccess). */
export function buildTriggerRolePolicy(target: { accountId: string; region: string; functionName: string }): RamPolicyDocument {
  const problems: string[] = [];
  if (!ACCOUNT_ID.test(target.accountId)) problems.push(`account id "${target.accountId}" is not valid; use the numeric account id (UID).`);
  if (!REGION.test(target.region)) problems.push(`region "${target.region}" is not a region id such as cn-hangzhou.`);
  if (!FUNCTION_NAME.test(target.functionName)) problems.push(`function name "${target.functionName}" is not valid.`);
  if (problems.length) throw new DeployInputError(problems);
  const fn = `acs:fc:${target.region}:${target.accountId}:functions/${target.functionName}`;
  // The trigger invokes the LATEST qualifier; the /* form covers qualified ARNs.
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: ['fc:InvokeFunction'], Resource: [fn, `${fn}/*`] }] };
}
