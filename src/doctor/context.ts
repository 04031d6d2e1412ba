/** What every check reads: the target, the two OSS adapters, the local environment, and facts found so far. */
import type { OssGateway } from '../oss/gateway';
import { OssOperationError } from '../errors';
import type { OssAdmin } from './oss-admin';
import type { Scratch } from './scratch';

export interface DoctorFacts {
  accountId?: string;
  bucketExists?: boolean;
  bucketAcl?: string;
  versioning?: 'Off' | 'Enabled' | 'Suspended';
  /** Retention (WORM) as read: only 'absent' and 'not-in-force' allow writing (a scratch object under retention cannot be deleted). */
  retention?: 'absent' | 'not-in-force' | 'in-force' | 'unknown';
  retentionDays?: number;
  /** Why nothing may be written (set before the first write; fail closed). Undefined = writes allowed. */
  writeBlocked?: string;
  bucketEncryption?: { algorithm: string; kmsKeyId?: string };
}

export interface DoctorContext {
  bucket: string;
  region: string;
  admin: OssAdmin;
  /** The function's own gateway (same credentials), for the real per-object core. */
  gateway: OssGateway;
  env: Record<string, string | undefined>;
  write: boolean;
  signal: AbortSignal;
  scratch: Scratch;
  facts: DoctorFacts;
  progress: (message: string) => void;
}

/** Thrown between steps once Ctrl-C was pressed; the run then cleans up. */
export class Interrupted extends Error {
  constructor() { super('interrupted'); this.name = 'Interrupted'; }
}

export function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

export const isOssCode = (err: unknown, ...codes: string[]): err is OssOperationError => err instanceof OssOperationError && codes.includes(err.ossCode);

/** "NoSuchBucket (HTTP 404)" or the message of a non-OSS error. */
export function short(err: unknown): string {
  if (err instanceof OssOperationError) return `${err.operation}: ${err.ossCode} (HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''})`;
  return err instanceof Error ? err.message : String(err);
}

/** The RAM action behind an OSS operation name, for AccessDenied fixes (function-compute.md §5 mapping). */
export function ramAction(operation: string): string {
  if (/^GetBucket[A-Z]\w*$/.test(operation)) return `oss:${operation}`;
  const map: Record<string, string> = {
    HeadObject: 'oss:GetObject', GetObject: 'oss:GetObject', CopyObject: 'oss:GetObject and oss:PutObject', PutObject: 'oss:PutObject',
    GetObjectAcl: 'oss:GetObjectAcl', PutObjectAcl: 'oss:PutObjectAcl', GetObjectTagging: 'oss:GetObjectTagging', PutObjectTagging: 'oss:PutObjectTagging',
    DeleteObject: 'oss:DeleteObject (oss:DeleteObjectVersion for versions)', ListObjectVersions: 'oss:ListObjectVersions', ListBuckets: 'oss:ListBuckets',
    InitiateMultipartUpload: 'oss:PutObject', UploadPartCopy: 'oss:GetObject and oss:PutObject', CompleteMultipartUpload: 'oss:PutObject',
    ListMultipartUploads: 'oss:ListMultipartUploads', AbortMultipartUpload: 'oss:AbortMultipartUpload',
  };
  return map[operation] ?? `the RAM action for ${operation}`;
}

/**
 * Whether OSS encrypted an object at upload (bucket default encryption): the PutObject answer names the SSE it
 * applied, so unlike a HEAD afterwards it cannot race a trigger that encrypts the object a moment later.
 */
export const encryptedAtUpload = (putHeaders: Record<string, string>): boolean => Boolean(putHeaders['x-oss-server-side-encryption']);

/** A failed read by the doctor's own keys, as found/fix text: names the doctor user's missing action, not the role's. */
export function doctorUserFailure(err: unknown): { found: string; fix: string } {
  if (isOssCode(err, 'AccessDenied')) {
    return { found: `the user running doctor may not call ${err.operation} (${short(err)})`, fix: `grant ${ramAction(err.operation)} on acs:oss:*:*:<bucket>/* to the RAM user running doctor` };
  }
  return { found: `doctor could not read the result: ${short(err)}`, fix: 'check the network and the doctor user\'s permissions, then run doctor again' };
}
