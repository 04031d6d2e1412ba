/**
 * The records the local OSS keeps: buckets, object versions and multipart uploads. Plain JSON-serialisable data
 * (persisted by the record store under --data-dir); bytes live in the blob store, referenced by `blobId`.
 * Field list follows ../shared/reference/oss-api.md §6 (emulator checklist).
 */
import type { Seal } from './storage/blob-store';

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
/** Classes that must be restored before their content can be read or copied (oss-api.md §1.2). */
export const ARCHIVE_CLASSES: readonly StorageClass[] = ['Archive', 'ColdArchive', 'DeepColdArchive'];

export const OBJECT_ACLS = ['default', 'private', 'public-read', 'public-read-write'] as const;
export type ObjectAcl = (typeof OBJECT_ACLS)[number];
export const BUCKET_ACLS = ['private', 'public-read', 'public-read-write'] as const;
export type BucketAcl = (typeof BUCKET_ACLS)[number];

export type ObjectType = 'Normal' | 'Appendable' | 'Multipart' | 'Symlink';
export type VersioningStatus = 'Off' | 'Enabled' | 'Suspended';

/** The HTTP metadata an object carries (what CopyObject's directive is about). */
export interface ObjectMeta {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** x-oss-meta-* without the prefix, names lower-case (HTTP headers are case-insensitive). */
  userMeta: Record<string, string>;
}

export interface RestoreState { /** epoch ms when the restore finishes */ readyAt: number; /** epoch ms when the restored copy expires */ expiresAt: number }

export interface ObjectVersion extends ObjectMeta {
  key: string;
  /** 'null' in a bucket that never had versioning enabled, or for objects written while it was suspended. */
  versionId: string;
  deleteMarker: boolean;
  blobId?: string;
  size: number;
  /** Unquoted upper-case; MD5 hex for Normal objects. */
  etag: string;
  /** base64 MD5, Normal objects only. */
  contentMd5?: string;
  crc64: string;
  lastModified: number;
  sse?: Seal;
  objectType: ObjectType;
  storageClass: StorageClass;
  acl: ObjectAcl;
  tags: Array<[string, string]>;
  restore?: RestoreState;
  /** For Symlink objects: the target key in the same bucket. */
  symlinkTarget?: string;
}

export interface BucketEncryptionRule { algorithm: 'AES256' | 'KMS' | 'SM4'; kmsKeyId?: string; dataEncryption?: 'SM4' }

/** A bucket overwrite-protection rule (PutBucketOverwriteConfig): `forbid` overwrites of matching keys. */
export interface OverwriteRule {
  id?: string;
  action: 'forbid';
  /** Both must match when given (empty = any key). */
  prefix?: string;
  suffix?: string;
  /** Principals the rule does not apply to (they may overwrite). Empty = everyone is refused. */
  principals?: string[];
}

/** A bucket retention policy (InitiateBucketWorm / CompleteBucketWorm). */
export interface BucketWorm {
  wormId: string;
  state: 'InProgress' | 'Locked';
  retentionDays: number;
  createdAt: number;
}

export interface BucketRecord {
  name: string;
  createdAt: number;
  versioning: VersioningStatus;
  encryption?: BucketEncryptionRule;
  acl: BucketAcl;
  storageClass: StorageClass;
  overwriteRules?: OverwriteRule[];
  worm?: BucketWorm;
}

export interface PartRecord { blobId: string; size: number; etag: string; lastModified: number }

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  meta: ObjectMeta;
  sse?: Seal;
  storageClass: StorageClass;
  acl: ObjectAcl;
  tags: Array<[string, string]>;
  parts: Record<string, PartRecord>;
}
