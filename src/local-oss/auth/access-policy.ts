/**
 * Explicit Deny rules, as a RAM policy attached to a user or role would hold them: tests and `doctor` use them to see
 * how a client behaves when one permission is missing. Without rules every valid signature may do anything.
 * A denied request gets what OSS answers an explicit RAM Deny (EC 0003-00000201 page): 403 AccessDenied
 * "Access denied by bucket policy." with an AccessDeniedDetail naming the action.
 */
import { parseCopySource } from '../copy-source';
import { OssError } from '../errors';
import type { Principal } from './authenticate';

export interface DenyRule {
  /** A RAM action such as `oss:GetObjectAcl`; `oss:*` or `*` for all. Compared case-insensitively, as RAM does. */
  action: string;
  /** Only requests signed with this AccessKeyId (root or STS); every credential when absent. */
  accessKeyId?: string;
  /** Only this bucket; every bucket when absent. */
  bucket?: string;
}

/** Operation (routes.ts name) → the RAM actions it needs, for operations whose action is not `oss:<Op>`. */
const ACTIONS: Record<string, string[]> = {
  PutObject: ['oss:PutObject'], AppendObject: ['oss:PutObject'], PutSymlink: ['oss:PutObject'],
  InitiateMultipartUpload: ['oss:PutObject'], UploadPart: ['oss:PutObject'], CompleteMultipartUpload: ['oss:PutObject'],
  // A copy reads its source too (OSS RAM doc: CopyObject needs oss:GetObject on the source, oss:PutObject on the target).
  CopyObject: ['oss:PutObject', 'oss:GetObject'], UploadPartCopy: ['oss:PutObject', 'oss:GetObject'],
  GetObject: ['oss:GetObject'], HeadObject: ['oss:GetObject'], GetObjectMeta: ['oss:GetObject'], GetSymlink: ['oss:GetObject'],
  GetObjectACL: ['oss:GetObjectAcl'], PutObjectACL: ['oss:PutObjectAcl'],
  DeleteObject: ['oss:DeleteObject'], DeleteMultipleObjects: ['oss:DeleteObject'],
  ListObjects: ['oss:ListObjects'], ListObjectsV2: ['oss:ListObjects'],
};

/** Actions that have a `…Version…` form when the request names a version (RAM's oss:GetObjectVersion etc.). */
const VERSION_FORMS: Record<string, string> = {
  'oss:GetObject': 'oss:GetObjectVersion', 'oss:DeleteObject': 'oss:DeleteObjectVersion',
  'oss:GetObjectAcl': 'oss:GetObjectVersionAcl', 'oss:PutObjectAcl': 'oss:PutObjectVersionAcl',
  'oss:GetObjectTagging': 'oss:GetObjectVersionTagging', 'oss:PutObjectTagging': 'oss:PutObjectVersionTagging',
  'oss:DeleteObjectTagging': 'oss:DeleteObjectVersionTagging',
};

export interface AccessRequest {
  op: string;
  principal: Principal;
  bucket?: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
}

/** The RAM actions a request needs. A copy source naming a `versionId` needs oss:GetObjectVersion for the read. */
export function requiredActions(r: AccessRequest): string[] {
  const base = ACTIONS[r.op] ?? [`oss:${r.op}`];
  const versioned = r.query.has('versionId');
  const sourceVersioned = /[?&]versionId=/.test(r.headers['x-oss-copy-source'] ?? '');
  return base.map((a, i) => {
    const copyRead = isCopy(r.op) && i === 1;
    return (copyRead ? sourceVersioned : versioned) && VERSION_FORMS[a] ? VERSION_FORMS[a]! : a;
  });
}

export class AccessPolicy {
  private rules: DenyRule[] = [];

  /** Adds a Deny rule; returns a function that removes it again. */
  deny(rule: DenyRule): () => void {
    if (!/^(\*|oss:[A-Za-z*]+)$/.test(rule.action)) throw new RangeError(`deny action must look like "oss:GetObjectAcl" (or "oss:*", "*"), got "${rule.action}"`);
    const r = { ...rule };
    this.rules.push(r);
    return () => { this.rules = this.rules.filter((x) => x !== r); };
  }

  clear(): void { this.rules = []; }

  /** Throws 403 AccessDenied when a rule denies one of the actions the request needs. */
  check(r: AccessRequest): void {
    if (this.rules.length === 0) return;
    for (const [i, action] of requiredActions(r).entries()) {
      const bucket = i === 1 && isCopy(r.op) ? copySourceBucket(r.headers['x-oss-copy-source']) : r.bucket;
      const hit = this.rules.find((d) => (d.accessKeyId === undefined || d.accessKeyId === r.principal.accessKeyId)
        && (d.bucket === undefined || d.bucket === bucket) && actionMatches(d.action, action));
      if (hit) {
        throw new OssError('AccessDenied', 'Access denied by bucket policy.', {
          'AccessDeniedDetail/PolicyType': 'AccountLevelIdentityBasedPolicy',
          'AccessDeniedDetail/AuthPrincipalType': r.principal.sts ? 'AssumedRoleUser' : 'SubUser',
          'AccessDeniedDetail/NoPermissionType': 'ExplicitDeny',
          'AccessDeniedDetail/AuthAction': action,
        }, '0003-00000201');
      }
    }
  }
}

const isCopy = (op: string): boolean => op === 'CopyObject' || op === 'UploadPartCopy';

/**
 * A copy's read action (its second one) is checked against the bucket it reads from, as RAM evaluates
 * oss:GetObject on the source resource. A malformed header is refused by the operation itself (400), so no bucket here.
 */
function copySourceBucket(value: string | undefined): string | undefined {
  try { return parseCopySource(value).bucket; } catch { return undefined; }
}

function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}
