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
}

export function v1CanonicalResource(bucket: string | undefined, key: string | undefined, query: URLSearchParams): string {
  let resource = '/';
  if (bucket) resource += `${bucket}/`;
  if (key) resource += key;
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
    v1CanonicalResource(input.bucket, input.key, input.query),
  ].join('\n');
}

/** base64 HMAC-SHA1 over the UTF-8 bytes of the string to sign. */
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
}
