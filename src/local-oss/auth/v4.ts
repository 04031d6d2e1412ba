/**
 * OSS signature V4 (OSS4-HMAC-SHA256), computed exactly as ali-oss 6.23 does (lib/common/signUtils.js
 * getCanonicalRequest, getStringToSign, getSignatureV4; oss-api.md §4.2).
 */
import { createHash, createHmac } from 'node:crypto';
import { SIGNED_SUBRESOURCES } from './subresources';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';

/** encodeURIComponent plus !'()* — ali-oss lib/common/utils/encodeString.js. */
export function encodeV4(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface V4Input {
  method: string;
  headers: Record<string, string | undefined>;
  bucket?: string;
  key?: string;
  /** Query without x-oss-signature. */
  query: URLSearchParams;
  additionalHeaders: string[];
}

/**
 * How an empty query value was signed cannot be told from the URL: ali-oss sends `?uploads=` but signs a `subres`
 * entry as bare `uploads` (strictNullHandling) and an empty plain `query` value (listV2 prefix '') as `prefix=`,
 * while the Go SDK signs bare `prefix` (oss-api.md §4.2 quirk). So the verifier tries these forms.
 */
export type EmptyValueForm = 'subresources-bare' | 'all-bare' | 'all-equals';
export const EMPTY_VALUE_FORMS: readonly EmptyValueForm[] = ['subresources-bare', 'all-bare', 'all-equals'];

export function v4CanonicalQuery(query: URLSearchParams, form: EmptyValueForm): string {
  const map = new Map<string, string>();
  for (const [k, v] of query) map.set(k, v);
  // qs.stringify(…, { sort: (a, b) => a.localeCompare(b) }) in ali-oss: locale order, not code-unit order.
  const keys = [...map.keys()].sort((a, b) => a.localeCompare(b));
  return keys
    .map((k) => {
      const v = map.get(k)!;
      if (v !== '') return `${encodeV4(k)}=${encodeV4(v)}`;
      const bare = form === 'all-bare' || (form === 'subresources-bare' && SIGNED_SUBRESOURCES.has(k));
      return bare ? encodeV4(k) : `${encodeV4(k)}=`;
    })
    .join('&');
}

export function v4CanonicalRequest(input: V4Input, form: EmptyValueForm): string {
  const uri = encodeV4(`/${input.bucket ? `${input.bucket}/` : ''}${input.key ?? ''}`).replace(/%2F/g, '/');
  const signed = new Set(input.additionalHeaders);
  for (const k of Object.keys(input.headers)) {
    if (input.headers[k] === undefined) continue;
    if (k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-')) signed.add(k);
  }
  const canonicalHeaders = [...signed]
    .sort()
    .map((k) => `${k}:${(input.headers[k] ?? '').trim()}\n`)
    .join('');
  return [
    input.method.toUpperCase(),
    uri,
    v4CanonicalQuery(input.query, form),
    canonicalHeaders,
    input.additionalHeaders.join(';'),
    input.headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

export function v4Scope(day: string, region: string, product = 'oss'): string {
  return `${day}/${region}/${product}/aliyun_v4_request`;
}

export function v4StringToSign(date: string, scope: string, canonicalRequest: string): string {
  return [V4_ALGORITHM, date, scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
}

export function v4Signature(secret: string, day: string, region: string, stringToSign: string, product = 'oss'): string {
  const kDate = createHmac('sha256', `aliyun_v4${secret}`).update(day).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kProduct = createHmac('sha256', kRegion).update(product).digest();
  const kSigning = createHmac('sha256', kProduct).update('aliyun_v4_request').digest();
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}
