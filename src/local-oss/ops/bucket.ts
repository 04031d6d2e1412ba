/**
 * Bucket operations: PutBucket, DeleteBucket, ListBuckets (GetService), GetBucketInfo, GetBucketLocation,
 * Get/PutBucketAcl. https://help.aliyun.com/document_detail/31959.html (PutBucket), 31973 (DeleteBucket),
 * 31957 (ListBuckets), 31968 (GetBucketInfo), 31967 (GetBucketLocation), 31966/31960 (Get/PutBucketAcl).
 */
import { OssError } from '../errors';
import { BUCKET_ACLS, type BucketAcl, type BucketRecord } from '../model';
import type { OpContext, OpResult, Services } from '../operation';
import { childText, xmlDocument } from '../xml';
import { isoDate, parseStorageClass } from './common';
import { parseXmlOr400 } from './object';

const XML = { 'content-type': 'application/xml' };

/** OSS bucket naming: 3–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit. */
export function validateBucketName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw new OssError('InvalidBucketName', `"${name}" is not a valid bucket name: use 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit.`, { BucketName: name });
  }
}

function parseBucketAcl(value: string | undefined): BucketAcl {
  if (value === undefined) return 'private';
  if (!(BUCKET_ACLS as readonly string[]).includes(value)) {
    throw new OssError('InvalidArgument', `x-oss-acl "${value}" is invalid; use ${BUCKET_ACLS.join(', ')}.`, { ArgumentName: 'x-oss-acl', ArgumentValue: value });
  }
  return value as BucketAcl;
}

/** Creates a bucket (programmatic API and PutBucket). Creating a bucket you already own succeeds unchanged. */
export async function createBucket(svc: Services, name: string, opts: { acl?: BucketAcl; storageClass?: BucketRecord['storageClass'] } = {}): Promise<BucketRecord> {
  validateBucketName(name);
  const existing = svc.state.bucket(name);
  if (existing) return existing;
  const record: BucketRecord = { name, createdAt: svc.now(), versioning: 'Off', acl: opts.acl ?? 'private', storageClass: opts.storageClass ?? 'Standard' };
  await svc.state.putBucket(record);
  return record;
}

export async function putBucket(ctx: OpContext): Promise<OpResult> {
  const name = ctx.bucket!;
  const body = await ctx.readBody();
  let storageClass: string | undefined;
  if (body.length > 0) {
    const root = parseXmlOr400(body);
    storageClass = childText(root, 'StorageClass');
  }
  await createBucket(ctx.svc, name, { acl: parseBucketAcl(ctx.headers['x-oss-acl']), storageClass: parseStorageClass(storageClass, 'Standard') });
  return { status: 200, headers: { location: `/${name}` } };
}

export async function deleteBucket(ctx: OpContext): Promise<OpResult> {
  ctx.svc.state.requireBucket(ctx.bucket);
  await ctx.svc.state.deleteBucket(ctx.bucket!);
  return { status: 204 };
}

function owner(svc: Services) { return { ID: svc.accountId, DisplayName: svc.accountId }; }

export async function listBuckets(ctx: OpContext): Promise<OpResult> {
  const { svc } = ctx;
  const prefix = ctx.query.get('prefix') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const maxKeys = Math.min(1000, Math.max(1, Number(ctx.query.get('max-keys') ?? 100) || 100));
  const all = svc.state.buckets().filter((b) => b.name.startsWith(prefix) && b.name > marker);
  const page = all.slice(0, maxKeys);
  const truncated = all.length > page.length;
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListAllMyBucketsResult', {
      Prefix: ctx.query.has('prefix') ? prefix : undefined,
      Marker: ctx.query.has('marker') ? marker : undefined,
      MaxKeys: ctx.query.has('max-keys') ? maxKeys : undefined,
      IsTruncated: ctx.query.has('max-keys') ? truncated : undefined,
      NextMarker: truncated ? page[page.length - 1]!.name : undefined,
      Owner: owner(svc),
      Buckets: {
        Bucket: page.map((b) => ({
          CreationDate: isoDate(b.createdAt), ExtranetEndpoint: `oss-${svc.region}.aliyuncs.com`,
          IntranetEndpoint: `oss-${svc.region}-internal.aliyuncs.com`, Location: `oss-${svc.region}`, Name: b.name,
          Region: svc.region, StorageClass: b.storageClass,
        })),
      },
    }),
  };
}

export async function getBucketInfo(ctx: OpContext): Promise<OpResult> {
  const { svc } = ctx;
  const b = svc.state.requireBucket(ctx.bucket);
  const rule = b.encryption;
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('BucketInfo', {
      Bucket: {
        AccessMonitor: 'Disabled',
        CreationDate: isoDate(b.createdAt),
        CrossRegionReplication: 'Disabled',
        DataRedundancyType: 'LRS',
        ExtranetEndpoint: `oss-${svc.region}.aliyuncs.com`,
        IntranetEndpoint: `oss-${svc.region}-internal.aliyuncs.com`,
        Location: `oss-${svc.region}`,
        Name: b.name,
        ResourceGroupId: 'rg-default',
        StorageClass: b.storageClass,
        TransferAcceleration: 'Disabled',
        Owner: owner(svc),
        AccessControlList: { Grant: b.acl },
        ServerSideEncryptionRule: {
          SSEAlgorithm: rule?.algorithm ?? 'None',
          KMSMasterKeyID: rule?.kmsKeyId,
          KMSDataEncryption: rule?.dataEncryption,
        },
        Versioning: b.versioning === 'Off' ? undefined : b.versioning,
        BucketPolicy: { LogBucket: '', LogPrefix: '' },
      },
    }),
  };
}

export async function getBucketLocation(ctx: OpContext): Promise<OpResult> {
  ctx.svc.state.requireBucket(ctx.bucket);
  return { status: 200, headers: XML, body: xmlDocument('LocationConstraint', `oss-${ctx.svc.region}`) };
}

export async function getBucketAcl(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  return { status: 200, headers: XML, body: xmlDocument('AccessControlPolicy', { Owner: owner(ctx.svc), AccessControlList: { Grant: b.acl } }) };
}

export async function putBucketAcl(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const acl = parseBucketAcl(ctx.headers['x-oss-acl']);
  await ctx.svc.state.putBucket({ ...b, acl });
  return { status: 200 };
}
