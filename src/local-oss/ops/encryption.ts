/**
 * Bucket default encryption: Put/Get/DeleteBucketEncryption (https://help.aliyun.com/document_detail/117914.html,
 * 117915, 117916). New objects written without SSE headers get the rule's encryption, as OSS does; a CopyObject
 * without SSE headers onto such a bucket is encrypted by the rule too.
 */
import { OssError } from '../errors';
import type { BucketEncryptionRule } from '../model';
import type { OpContext, OpResult } from '../operation';
import { child, childText, xmlDocument } from '../xml';
import { parseXmlOr400 } from './object';

export async function putBucketEncryption(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const root = parseXmlOr400(await ctx.readBody());
  const apply = root.name === 'ServerSideEncryptionRule' ? child(root, 'ApplyServerSideEncryptionByDefault') : undefined;
  if (!apply) throw new OssError('MalformedXML', 'The body must be <ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>…</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>.');
  const algorithm = childText(apply, 'SSEAlgorithm') ?? '';
  const keyId = childText(apply, 'KMSMasterKeyID') || undefined;
  const data = childText(apply, 'KMSDataEncryption') || undefined;
  if (algorithm !== 'AES256' && algorithm !== 'KMS' && algorithm !== 'SM4') {
    throw new OssError('InvalidArgument', `SSEAlgorithm must be AES256, KMS or SM4, got "${algorithm}".`, { ArgumentName: 'SSEAlgorithm' });
  }
  if (algorithm !== 'KMS' && (keyId || data)) {
    throw new OssError('InvalidArgument', 'KMSMasterKeyID and KMSDataEncryption are only allowed with SSEAlgorithm KMS.', { ArgumentName: keyId ? 'KMSMasterKeyID' : 'KMSDataEncryption' });
  }
  if (data !== undefined && data !== 'SM4') throw new OssError('InvalidArgument', `KMSDataEncryption must be SM4, got "${data}".`, { ArgumentName: 'KMSDataEncryption' });
  // Validate the key now so that a bad rule fails here rather than on every later upload.
  if (algorithm === 'KMS') ctx.svc.kms.resolveForEncrypt(keyId);
  const rule: BucketEncryptionRule = { algorithm, ...(keyId ? { kmsKeyId: keyId } : {}), ...(data ? { dataEncryption: 'SM4' as const } : {}) };
  await ctx.svc.state.putBucket({ ...b, encryption: rule });
  return { status: 200 };
}

export async function getBucketEncryption(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  if (!b.encryption) throw new OssError('NoSuchServerSideEncryptionRule', undefined, { BucketName: b.name }, '0011-00000101');
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument('ServerSideEncryptionRule', {
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: b.encryption.algorithm, KMSMasterKeyID: b.encryption.algorithm === 'KMS' ? b.encryption.kmsKeyId ?? '' : undefined,
        KMSDataEncryption: b.encryption.dataEncryption,
      },
    }),
  };
}

export async function deleteBucketEncryption(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const { encryption: _removed, ...rest } = b;
  await ctx.svc.state.putBucket(rest);
  return { status: 204 };
}
