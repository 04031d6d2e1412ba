/**
 * Decides who signed a request, or throws the OssError real OSS answers with. Pure: no I/O; the server passes the
 * request as received plus the bucket/key it resolved from Host or path.
 *
 * Accepted forms (what ali-oss 6.23 produces; oss-api.md §4.1–4.2):
 *   V1 header      Authorization: OSS <ak>:<base64 hmac-sha1>
 *   V1 presigned   ?OSSAccessKeyId=&Expires=&Signature=  (signatureUrl)
 *   V4 header      Authorization: OSS4-HMAC-SHA256 Credential=<ak>/<day>/<region>/oss/aliyun_v4_request,[AdditionalHeaders=…,]Signature=<hex>
 *   V4 presigned   ?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=…&x-oss-date=…&x-oss-expires=…&x-oss-signature=…
 * STS: `x-oss-security-token` header (V1 presigned: `security-token`, V4 presigned: `x-oss-security-token` query).
 */
import { timingSafeEqual } from 'node:crypto';
import { OssError } from '../errors';
import type { CredentialStore, CredentialRecord } from './credentials';
import { v1Matches, v1StringToSign } from './v1';
import { EMPTY_VALUE_FORMS, V4_ALGORITHM, v4CanonicalRequest, v4Scope, v4Signature, v4StringToSign } from './v4';

export interface SignedRequest {
  method: string;
  /** URL path exactly as received (still percent-encoded). */
  rawPath: string;
  /** From the raw URL. */
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  /** Resolved by the caller from Host (virtual-hosted) or path. */
  bucket?: string;
  /** Decoded object key. */
  key?: string;
}

export interface Principal {
  accessKeyId: string;
  sts: boolean;
}

/** OSS's limit between the request's date and the server clock. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/** `region`: the server's region; a V4 signature scoped to another region is refused (not compared when absent). */
export function authenticate(req: SignedRequest, creds: CredentialStore, now: Date = new Date(), maxSkewMs: number = DEFAULT_MAX_SKEW_MS, region?: string): Principal {
  const authorization = req.headers['authorization'];
  if (authorization !== undefined && authorization !== '') {
    if (authorization.startsWith('OSS ')) return verifyV1Header(req, authorization, creds, now, maxSkewMs);
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return verifyV4Header(req, authorization, creds, now, maxSkewMs, region);
    throw denied(`Authorization header "${authorization.split(' ')[0]}" is not an OSS signature; sign with "OSS <AccessKeyId>:<Signature>" (V1) or "${V4_ALGORITHM} Credential=…" (V4).`);
  }
  if (req.query.has('OSSAccessKeyId') || req.query.has('Signature')) return verifyV1Presigned(req, creds, now);
  if (req.query.has('x-oss-signature') || req.query.has('x-oss-credential')) return verifyV4Presigned(req, creds, now, region);
  throw denied('Anonymous access is not allowed by the local OSS; sign the request (Authorization header or a presigned URL).');
}

function verifyV1Header(req: SignedRequest, authorization: string, creds: CredentialStore, now: Date, maxSkewMs: number): Principal {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw denied('The Authorization header is malformed; expected "OSS <AccessKeyId>:<Signature>".');
  const [, accessKeyId, provided] = m as unknown as [string, string, string];
  const dateLine = req.headers['x-oss-date'] ?? req.headers['date'];
  if (!dateLine) throw denied('OSS authentication requires a valid Date (send a Date or x-oss-date header).');
  checkSkew(Date.parse(dateLine), dateLine, now, maxSkewMs);
  const record = credentialFor(accessKeyId, creds);
  checkSecurityToken(record, req.headers['x-oss-security-token'], now);
  const input = { method: req.method, headers: req.headers, dateLine, bucket: req.bucket, key: req.key, query: req.query };
  if (!v1Matches(record.secret, input, provided, same)) throw mismatch(accessKeyId, provided, v1StringToSign(input));
  return { accessKeyId, sts: record.securityToken !== undefined };
}

function verifyV1Presigned(req: SignedRequest, creds: CredentialStore, now: Date): Principal {
  const accessKeyId = req.query.get('OSSAccessKeyId');
  const expires = req.query.get('Expires');
  const provided = req.query.get('Signature');
  if (!accessKeyId || !expires || !provided) {
    throw denied('A presigned URL needs all of OSSAccessKeyId, Expires and Signature query parameters.');
  }
  if (!/^\d+$/.test(expires)) throw denied(`Expires "${expires}" is not a Unix time in seconds.`);
  if (Number(expires) * 1000 < now.getTime()) throw denied(`Request has expired. Expires ${new Date(Number(expires) * 1000).toISOString()} is before the server time ${now.toISOString()}.`, { Expires: expires, ServerTime: now.toISOString() });
  const record = credentialFor(accessKeyId, creds);
  checkSecurityToken(record, req.query.get('security-token') ?? undefined, now);
  const query = new URLSearchParams(req.query);
  for (const k of ['OSSAccessKeyId', 'Expires', 'Signature']) query.delete(k);
  const input = { method: req.method, headers: req.headers, dateLine: expires, bucket: req.bucket, key: req.key, query };
  if (!v1Matches(record.secret, input, provided, same)) throw mismatch(accessKeyId, provided, v1StringToSign(input));
  return { accessKeyId, sts: record.securityToken !== undefined };
}

interface V4Credential {
  accessKeyId: string;
  day: string;
  region: string;
  product: string;
}

function parseCredential(credential: string): V4Credential {
  const parts = credential.split('/');
  // The AccessKeyId itself never contains '/', so exactly 5 parts.
  if (parts.length !== 5 || parts[4] !== 'aliyun_v4_request' || !/^\d{8}$/.test(parts[1]!) || !parts[0] || !parts[2]) {
    throw denied(`Invalid credential "${credential}"; expected <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.`);
  }
  return { accessKeyId: parts[0], day: parts[1]!, region: parts[2], product: parts[3]! };
}

function verifyV4Header(req: SignedRequest, authorization: string, creds: CredentialStore, now: Date, maxSkewMs: number, region: string | undefined): Principal {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const credential = fields.get('Credential');
  const provided = fields.get('Signature');
  if (!credential || !provided) throw denied(`The ${V4_ALGORITHM} Authorization header needs Credential= and Signature=.`);
  const cred = parseCredential(credential);
  const date = req.headers['x-oss-date'];
  if (!date) throw denied('V4 signatures need the x-oss-date header (yyyymmddTHHMMSSZ).');
  checkSkew(parseV4Date(date), date, now, maxSkewMs);
  return verifyV4(req, req.headers, req.query, cred, date, provided, splitAdditional(fields.get('AdditionalHeaders')), creds, now, req.headers['x-oss-security-token'], region);
}

function verifyV4Presigned(req: SignedRequest, creds: CredentialStore, now: Date, region: string | undefined): Principal {
  const q = req.query;
  const version = q.get('x-oss-signature-version');
  const credential = q.get('x-oss-credential');
  const date = q.get('x-oss-date');
  const expires = q.get('x-oss-expires');
  const provided = q.get('x-oss-signature');
  if (version !== V4_ALGORITHM || !credential || !date || !expires || !provided) {
    throw denied(`A V4 presigned URL needs x-oss-signature-version=${V4_ALGORITHM}, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature.`);
  }
  const signedAt = parseV4Date(date);
  if (Number.isNaN(signedAt)) throw denied(`x-oss-date "${date}" is not yyyymmddTHHMMSSZ.`);
  if (!/^\d+$/.test(expires)) throw denied(`x-oss-expires "${expires}" is not a number of seconds.`);
  if (signedAt + Number(expires) * 1000 < now.getTime()) throw denied('Request has expired.', { Expires: expires, ServerTime: now.toISOString() });
  const query = new URLSearchParams(q);
  query.delete('x-oss-signature');
  return verifyV4(req, req.headers, query, parseCredential(credential), date, provided, splitAdditional(q.get('x-oss-additional-headers') ?? undefined), creds, now, q.get('x-oss-security-token') ?? undefined, region);
}

function verifyV4(
  req: SignedRequest, headers: SignedRequest['headers'], query: URLSearchParams, cred: V4Credential, date: string, provided: string,
  additionalHeaders: string[], creds: CredentialStore, now: Date, token: string | undefined, region: string | undefined,
): Principal {
  if (date.slice(0, 8) !== cred.day) throw denied(`The credential date ${cred.day} does not match x-oss-date ${date}.`);
  for (const h of additionalHeaders) {
    if (headers[h] === undefined) throw denied(`AdditionalHeaders names "${h}" but the request has no such header.`);
  }
  const record = credentialFor(cred.accessKeyId, creds);
  checkSecurityToken(record, token, now);
  // OSS derives the signing key from its own region, so a scope of another region cannot match: answered as the
  // mismatch it is, with the reason spelled out (the exact Message real OSS sends is not documented).
  if (region !== undefined && cred.region !== region) {
    throw new OssError('SignatureDoesNotMatch', `The V4 signature is scoped to region "${cred.region}" but this endpoint is in "${region}"; sign with region ${region}.`,
      { OSSAccessKeyId: cred.accessKeyId, SignatureProvided: provided });
  }
  const scope = v4Scope(cred.day, cred.region, cred.product);
  let first: { canonical: string; stringToSign: string } | undefined;
  // ali-oss with headerEncoding 'latin1' (the only way it sends non-ASCII metadata) signs header values decoded
  // back to UTF-8 (signUtils.authorizationV4); Node hands us the raw bytes as latin1 characters. Try both spellings.
  const utf8Headers = decodeHeaderBytes(headers);
  for (const headerForm of utf8Headers ? [headers, utf8Headers] : [headers]) {
    for (const form of EMPTY_VALUE_FORMS) {
      const canonical = v4CanonicalRequest({ method: req.method, headers: headerForm, bucket: req.bucket, key: req.key, query, additionalHeaders }, form);
      const stringToSign = v4StringToSign(date, scope, canonical);
      if (same(v4Signature(record.secret, cred.day, cred.region, stringToSign, cred.product), provided)) {
        return { accessKeyId: cred.accessKeyId, sts: record.securityToken !== undefined };
      }
      first ??= { canonical, stringToSign };
    }
  }
  throw mismatch(cred.accessKeyId, provided, first!.stringToSign, first!.canonical);
}

/** Header values re-read as UTF-8 where they carry non-ASCII bytes; undefined when every value is ASCII. */
function decodeHeaderBytes(headers: SignedRequest['headers']): SignedRequest['headers'] | undefined {
  let changed = false;
  const out: SignedRequest['headers'] = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && /[^\x00-\x7f]/.test(v)) { out[k] = Buffer.from(v, 'latin1').toString('utf8'); changed = true; }
    else out[k] = v;
  }
  return changed ? out : undefined;
}

function credentialFor(accessKeyId: string, creds: CredentialStore): CredentialRecord {
  const record = creds.lookup(accessKeyId);
  if (!record) throw new OssError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
  return record;
}

/** STS credentials need their own token; a root key must not present one. Token before expiry, as OSS reports a
 *  forged token as invalid even when its key would also have expired. */
function checkSecurityToken(record: CredentialRecord, token: string | undefined, now: Date): void {
  if (record.securityToken === undefined) {
    if (token) throw new OssError('InvalidSecurityToken', 'A security token was sent with an AccessKeyId that is not an STS AccessKeyId; drop the token or use the STS AccessKeyId it was issued with.');
    return;
  }
  if (!token) throw new OssError('InvalidSecurityToken', 'This STS AccessKeyId needs its security token (x-oss-security-token).');
  if (!same(token, record.securityToken)) throw new OssError('InvalidSecurityToken', 'The security token does not belong to this STS AccessKeyId.');
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) {
    throw new OssError('SecurityTokenExpired', `The security token expired at ${record.expiresAt.toISOString()}; request new STS credentials.`, { Expiration: record.expiresAt.toISOString() });
  }
}

function checkSkew(requestTime: number, raw: string, now: Date, maxSkewMs: number): void {
  if (Number.isNaN(requestTime)) throw denied(`The request date "${raw}" is not a valid date (RFC 1123 for V1, yyyymmddTHHMMSSZ for V4).`);
  if (Math.abs(requestTime - now.getTime()) > maxSkewMs) {
    throw new OssError('RequestTimeTooSkewed', undefined, { RequestTime: raw, ServerTime: now.toISOString(), MaxAllowedSkewMilliseconds: String(maxSkewMs) });
  }
}

function parseV4Date(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function splitAdditional(v: string | undefined): string[] {
  return v ? v.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean) : [];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function denied(message: string, details: Record<string, string> = {}): OssError {
  return new OssError('AccessDenied', message, details);
}

function mismatch(accessKeyId: string, provided: string, stringToSign: string, canonicalRequest?: string): OssError {
  return new OssError('SignatureDoesNotMatch', undefined, {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: provided,
    StringToSign: stringToSign,
    ...(canonicalRequest !== undefined ? { CanonicalRequest: canonicalRequest } : {}),
  });
}
