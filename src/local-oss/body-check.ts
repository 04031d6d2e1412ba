/**
 * The request body as operations read it, checked against what the client signed for it: `Content-MD5` on every
 * request that carries a body (OSS: 400 InvalidDigest), and for V4 signatures `x-oss-content-sha256` unless it is
 * UNSIGNED-PAYLOAD (400 InvalidArgument, EC 0002-00000214 "The value of the x-oss-content-sha256 header is
 * invalid"). The check runs as the last chunk arrives, before the operation can record anything: an operation that
 * streams the body into the blob store sees the error from the iteration, and the blob is discarded.
 */
import { createHash } from 'node:crypto';
import { OssError } from './errors';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const SHA256_EC = '0002-00000214';

/** Throws before any body is read when the signed payload hash cannot be one (neither UNSIGNED-PAYLOAD nor 64 hex digits). */
export function checkPayloadHashFormat(sha256: string | undefined): void {
  if (sha256 === undefined || sha256 === UNSIGNED_PAYLOAD || /^[0-9a-f]{64}$/.test(sha256)) return;
  throw new OssError('InvalidArgument', `x-oss-content-sha256 must be ${UNSIGNED_PAYLOAD} or the lower-case hex SHA-256 of the body, got "${sha256.slice(0, 80)}".`,
    { ArgumentName: 'x-oss-content-sha256', ArgumentValue: sha256.slice(0, 80) }, SHA256_EC);
}

/** The only Content-MD5 spelling an MD5 can have: 16 bytes as padded base64 (RFC 1864). */
const CANONICAL_MD5 = /^[A-Za-z0-9+/]{22}==$/;
const MD5_EC = '0016-00000104';

/**
 * Throws 400 InvalidDigest before any body is read when Content-MD5 is not 24 characters of padded base64 (missing
 * padding, trailing junk, other characters): Node's base64 decoder would otherwise skip or truncate them and accept the
 * value. OSS's answer to a malformed value is not documented; InvalidDigest (its answer to a wrong one) is our choice.
 */
export function checkContentMd5Format(contentMd5: string | undefined): void {
  if (contentMd5 === undefined || CANONICAL_MD5.test(contentMd5)) return;
  throw new OssError('InvalidDigest', `Content-MD5 "${contentMd5.slice(0, 80)}" is not the base64 of a 16-byte MD5 (24 characters ending in "==").`,
    { 'Content-MD5': contentMd5.slice(0, 80) }, MD5_EC);
}

/**
 * Yields the body's chunks and, at its end, throws if it does not match `contentMd5` (base64) or `sha256` (hex;
 * UNSIGNED-PAYLOAD or undefined = not checked).
 */
export async function* verifiedBody(body: AsyncIterable<Buffer | string>, expect: { contentMd5?: string; sha256?: string }): AsyncGenerator<Buffer> {
  const md5 = expect.contentMd5 !== undefined ? createHash('md5') : undefined;
  const sha = expect.sha256 !== undefined && expect.sha256 !== UNSIGNED_PAYLOAD ? createHash('sha256') : undefined;
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    md5?.update(chunk);
    sha?.update(chunk);
    yield chunk;
  }
  // Decoded, not compared as text: Node's base64 reading is what the per-operation check always used.
  if (md5 && !md5.digest().equals(Buffer.from(expect.contentMd5!, 'base64'))) {
    throw new OssError('InvalidDigest', undefined, { 'Content-MD5': expect.contentMd5! }, MD5_EC);
  }
  if (sha) {
    const actual = sha.digest('hex');
    if (actual !== expect.sha256) {
      throw new OssError('InvalidArgument', `x-oss-content-sha256 ${expect.sha256} does not match the SHA-256 of the body (${actual}).`,
        { ArgumentName: 'x-oss-content-sha256', ArgumentValue: expect.sha256! }, SHA256_EC);
    }
  }
}
