/**
 * The dispatch table: (scope, method, subresource) → operation, in the spirit of jamhall/s3rver lib/routes.js.
 * A subresource OSS knows but this emulator does not implement answers 400 NotImplemented; any other
 * combination (e.g. POST on a plain object URL) answers 405 MethodNotAllowed.
 */
import { OssError } from './errors';
import type { Operation } from './operation';
import * as append from './ops/append';
import * as bucket from './ops/bucket';
import * as copy from './ops/copy';
import * as encryption from './ops/encryption';
import * as list from './ops/list';
import * as multipart from './ops/multipart';
import * as object from './ops/object';
import * as protection from './ops/protection';
import * as restore from './ops/restore';
import * as symlink from './ops/symlink';
import * as tagging from './ops/tagging-acl';
import * as versioning from './ops/versioning';

export type Scope = 'service' | 'bucket' | 'object';
type Headers = Record<string, string | undefined>;
interface Entry { op: string; handler: Operation }
type Choice = Entry | ((h: Headers, q: URLSearchParams) => Entry);

/** Subresources that select an operation, in precedence order (uploadId wins over partNumber, etc.). */
const ROUTING_SUBRESOURCES = [
  'uploadId', 'uploads', 'acl', 'tagging', 'symlink', 'restore', 'append', 'objectMeta', 'versioning', 'versions',
  'encryption', 'bucketInfo', 'location', 'delete', 'overwriteConfig', 'wormId', 'worm',
] as const;

/** Known to OSS, not emulated: requests using them get NotImplemented instead of being misread as another op. */
const UNSUPPORTED_SUBRESOURCES = [
  'cors', 'logging', 'website', 'referer', 'lifecycle', 'policy', 'replication', 'replicationProgress', 'replicationLocation',
  'cname', 'qos', 'wormExtend', 'inventory', 'requestPayment', 'transferAcceleration', 'stat', 'style',
  'img', 'live', 'vod', 'comp', 'x-oss-process', 'regionList', 'accessPoint', 'resourceGroup', 'retention', 'callback',
  'notification', 'objectInfo', 'select', 'asyncFetch', 'policyStatus', 'httpsConfig', 'dataRedundancyTransition',
] as const;

const e = (op: string, handler: Operation): Entry => ({ op, handler });

const TABLE: Record<Scope, Record<string, Record<string, Choice>>> = {
  service: {
    GET: { '': e('ListBuckets', bucket.listBuckets) },
  },
  bucket: {
    PUT: {
      '': e('PutBucket', bucket.putBucket),
      acl: e('PutBucketAcl', bucket.putBucketAcl),
      versioning: e('PutBucketVersioning', versioning.putBucketVersioning),
      encryption: e('PutBucketEncryption', encryption.putBucketEncryption),
      overwriteConfig: e('PutBucketOverwriteConfig', protection.putBucketOverwriteConfig),
    },
    GET: {
      '': (_h, q) => (q.get('list-type') === '2' ? e('ListObjectsV2', list.listObjectsV2) : e('ListObjects', list.listObjects)),
      acl: e('GetBucketAcl', bucket.getBucketAcl),
      bucketInfo: e('GetBucketInfo', bucket.getBucketInfo),
      location: e('GetBucketLocation', bucket.getBucketLocation),
      versioning: e('GetBucketVersioning', versioning.getBucketVersioning),
      versions: e('ListObjectVersions', versioning.listObjectVersions),
      encryption: e('GetBucketEncryption', encryption.getBucketEncryption),
      uploads: e('ListMultipartUploads', multipart.listMultipartUploads),
      overwriteConfig: e('GetBucketOverwriteConfig', protection.getBucketOverwriteConfig),
      worm: e('GetBucketWorm', protection.getBucketWorm),
    },
    DELETE: {
      '': e('DeleteBucket', bucket.deleteBucket),
      encryption: e('DeleteBucketEncryption', encryption.deleteBucketEncryption),
      overwriteConfig: e('DeleteBucketOverwriteConfig', protection.deleteBucketOverwriteConfig),
      worm: e('AbortBucketWorm', protection.abortBucketWorm),
    },
    POST: {
      delete: e('DeleteMultipleObjects', object.deleteMultipleObjects),
      worm: e('InitiateBucketWorm', protection.initiateBucketWorm),
      wormId: e('CompleteBucketWorm', protection.completeBucketWorm),
    },
  },
  object: {
    PUT: {
      '': (h) => (h['x-oss-copy-source'] !== undefined ? e('CopyObject', copy.copyObject) : e('PutObject', object.putObject)),
      uploadId: (h) => (h['x-oss-copy-source'] !== undefined ? e('UploadPartCopy', multipart.uploadPartCopy) : e('UploadPart', multipart.uploadPart)),
      acl: e('PutObjectACL', tagging.putObjectAcl),
      tagging: e('PutObjectTagging', tagging.putObjectTagging),
      symlink: e('PutSymlink', symlink.putSymlink),
    },
    GET: {
      '': e('GetObject', object.getObject),
      acl: e('GetObjectACL', tagging.getObjectAcl),
      tagging: e('GetObjectTagging', tagging.getObjectTagging),
      symlink: e('GetSymlink', symlink.getSymlink),
      uploadId: e('ListParts', multipart.listParts),
    },
    HEAD: {
      '': e('HeadObject', object.headObject),
      objectMeta: e('GetObjectMeta', object.getObjectMeta),
    },
    DELETE: {
      '': e('DeleteObject', object.deleteObject),
      tagging: e('DeleteObjectTagging', tagging.deleteObjectTagging),
      uploadId: e('AbortMultipartUpload', multipart.abortMultipartUpload),
    },
    POST: {
      uploads: e('InitiateMultipartUpload', multipart.initiateMultipartUpload),
      uploadId: e('CompleteMultipartUpload', multipart.completeMultipartUpload),
      append: e('AppendObject', append.appendObject),
      restore: e('RestoreObject', restore.restoreObject),
    },
  },
};

export type Route = { op: string; handler: Operation } | { op: string; error: OssError };

export function route(scope: Scope, method: string, query: URLSearchParams, headers: Headers): Route {
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
  if (unsupported) {
    return { op: `Unsupported:${unsupported}`, error: new OssError('NotImplemented', `The local OSS does not implement the "${unsupported}" subresource.`, { Subresource: unsupported }) };
  }
  const sub = ROUTING_SUBRESOURCES.find((s) => query.has(s)) ?? '';
  const choice = TABLE[scope][method]?.[sub];
  if (!choice) {
    const resourceType = scope === 'object' ? 'Object' : scope === 'bucket' ? 'Bucket' : 'Service';
    return {
      op: 'MethodNotAllowed',
      error: new OssError('MethodNotAllowed', undefined, { Method: method, ResourceType: resourceType + (sub ? `?${sub}` : '') }),
    };
  }
  return typeof choice === 'function' ? choice(headers, query) : choice;
}
