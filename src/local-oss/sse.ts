/**
 * Server-side encryption headers: request headers → a validated Seal (the blob store's encryption spec), and a Seal
 * → the response/HEAD headers. oss-api.md §1.1 (request) and §2 (HEAD): KMS without a key id is sealed with, and
 * reported as, the region's default managed key.
 */
import { OssError } from './errors';
import type { Kms } from './kms';
import type { BucketEncryptionRule } from './model';
import type { Seal } from './storage/blob-store';

export const SSE_HEADER = 'x-oss-server-side-encryption';
export const SSE_KEY_ID_HEADER = 'x-oss-server-side-encryption-key-id';
export const SSE_DATA_HEADER = 'x-oss-server-side-data-encryption';

type Headers = Record<string, string | undefined>;

/**
 * The Seal a write request asks for, or undefined when it carries no SSE header. Throws OssError for an unknown
 * algorithm (InvalidEncryptionAlgorithmError), a key id or data encryption without KMS (InvalidArgument), and the
 * KMS key errors of `Kms.resolveForEncrypt` (not activated, empty, unknown, disabled, pending deletion).
 */
export function sealFromHeaders(headers: Headers, kms: Kms): Seal | undefined {
  const algorithm = headers[SSE_HEADER];
  const keyId = headers[SSE_KEY_ID_HEADER];
  const data = headers[SSE_DATA_HEADER];
  if (algorithm === undefined) {
    if (keyId !== undefined || data !== undefined) {
      throw new OssError('InvalidArgument', `${keyId !== undefined ? SSE_KEY_ID_HEADER : SSE_DATA_HEADER} requires ${SSE_HEADER}: KMS.`,
        { ArgumentName: keyId !== undefined ? SSE_KEY_ID_HEADER : SSE_DATA_HEADER });
    }
    return undefined;
  }
  return seal({ algorithm, kmsKeyId: keyId, dataEncryption: data }, kms);
}

/** The Seal of a bucket's default encryption rule (applied to writes without SSE headers, as OSS does). */
export function sealFromBucketRule(rule: BucketEncryptionRule | undefined, kms: Kms): Seal | undefined {
  if (!rule) return undefined;
  return seal({ algorithm: rule.algorithm, kmsKeyId: rule.kmsKeyId || undefined, dataEncryption: rule.dataEncryption }, kms);
}

function seal(req: { algorithm: string; kmsKeyId?: string; dataEncryption?: string }, kms: Kms): Seal {
  const { algorithm, kmsKeyId, dataEncryption } = req;
  if (algorithm !== 'AES256' && algorithm !== 'KMS' && algorithm !== 'SM4') {
    throw new OssError('InvalidEncryptionAlgorithmError', `The encryption algorithm "${algorithm}" is not supported; use AES256, KMS or SM4.`,
      { ArgumentName: SSE_HEADER, ArgumentValue: algorithm });
  }
  if (algorithm !== 'KMS') {
    if (kmsKeyId !== undefined) throw new OssError('InvalidArgument', `${SSE_KEY_ID_HEADER} is only allowed with ${SSE_HEADER}: KMS.`, { ArgumentName: SSE_KEY_ID_HEADER });
    if (dataEncryption !== undefined) throw new OssError('InvalidArgument', `${SSE_DATA_HEADER} is only allowed with ${SSE_HEADER}: KMS.`, { ArgumentName: SSE_DATA_HEADER });
    return { algorithm };
  }
  if (dataEncryption !== undefined && dataEncryption !== 'SM4') {
    throw new OssError('InvalidArgument', `${SSE_DATA_HEADER} must be SM4, got "${dataEncryption}".`, { ArgumentName: SSE_DATA_HEADER, ArgumentValue: dataEncryption });
  }
  const resolved = kms.resolveForEncrypt(kmsKeyId);
  return dataEncryption ? { algorithm, kmsKeyId: resolved, dataEncryption } : { algorithm, kmsKeyId: resolved };
}

/** Response/HEAD headers describing a Seal; none for an unencrypted object. */
export function sseHeaders(s: Seal | undefined): Record<string, string> {
  if (!s) return {};
  const h: Record<string, string> = { [SSE_HEADER]: s.algorithm };
  if (s.algorithm === 'KMS' && s.kmsKeyId) h[SSE_KEY_ID_HEADER] = s.kmsKeyId;
  if (s.dataEncryption) h[SSE_DATA_HEADER] = s.dataEncryption;
  return h;
}

export function sameSeal(a: Seal | undefined, b: Seal | undefined): boolean {
  return (a?.algorithm ?? '') === (b?.algorithm ?? '') && (a?.kmsKeyId ?? '') === (b?.kmsKeyId ?? '')
    && (a?.dataEncryption ?? '') === (b?.dataEncryption ?? '');
}
