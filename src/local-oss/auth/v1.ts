/**
 * OSS signature V1, computed exactly as ali-oss 6.23 does (lib/common/signUtils.js buildCanonicalString and
 * buildCanonicalizedResource; oss-api.md §4.1):
 *   VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n {x-oss-k:trim(v)\n, sorted} CanonicalizedResource
 * The resource is "/bucket/key" with the key NOT percent-encoded, plus "?"-joined sorted subresources
 * ("k" when the value is empty, "k=v" otherwise, values decoded).
 */
import { createHmac } from 'node:crypto';
import { SIGNED_SUBRESOURCES } from './subresources';

export interface V1Input {
  method: string;
  headers: Record<string, string | undefined>;
  /** The Date line: x-oss-date/Date for header signatures, the Expires value for presigned URLs. */
  dateLine: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  /**
   * Byte form: the key spelled as its UTF-8 bytes (one latin1 char per byte), header values left as Node hands them
   * over (one latin1 char per received byte). This is what ali-oss signs with `headerEncoding: 'latin1'`, the only
   * mode in which it can send non-ASCII metadata such as `x-oss-meta-name: 张三` (ali-sdk/ali-oss#842).
   */
  byteForm?: boolean;
}

export function v1CanonicalResource(bucket: string | undefined, key: string | undefined, query: URLSearchParams, byteForm = false): string {
  let resource = '/';
  if (bucket) resource += `${bucket}/`;
  if (key) resource += byteForm ? Buffer.from(key, 'utf8').toString('latin1') : key;
  const subres = new Map<string, string>();
  for (const [k, v] of query) if (SIGNED_SUBRESOURCES.has(k)) subres.set(k, v);
  const keys = [...subres.keys()].sort();
  if (keys.length > 0) resource += `?${keys.map((k) => (subres.get(k) ? `${k}=${subres.get(k)}` : k)).join('&')}`;
  return resource;
}

export function v1StringToSign(input: V1Input): string {
  const ossHeaders = Object.keys(input.headers)
    .filter((k) => k.startsWith('x-oss-') && input.headers[k] !== undefined)
    .sort()
    .map((k) => `${k}:${String(input.headers[k]).trim()}`);
  return [
    input.method.toUpperCase(),
    input.headers['content-md5'] ?? '',
    input.headers['content-type'] ?? '',
    input.dateLine,
    ...ossHeaders,
    v1CanonicalResource(input.bucket, input.key, input.query, input.byteForm),
  ].join('\n');
}

/** base64 HMAC-SHA1 over the string to sign: its UTF-8 bytes (ali-oss default), or its latin1 bytes for the byte form. */
export function v1Signature(secret: string, stringToSign: string, byteForm = false): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, byteForm ? 'latin1' : 'utf8')).digest('base64');
}

/** Whether `provided` matches either form ali-oss may have signed (headerEncoding 'utf-8' or 'latin1'). */
export function v1Matches(secret: string, input: Omit<V1Input, 'byteForm'>, provided: string, same: (a: string, b: string) => boolean): boolean {
  if (same(v1Signature(secret, v1StringToSign(input)), provided)) return true;
  return same(v1Signature(secret, v1StringToSign({ ...input, byteForm: true }), true), provided);
}
