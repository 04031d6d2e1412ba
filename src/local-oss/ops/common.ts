/**
 * Helpers shared by the operation families: request-header parsing (metadata, ACL, storage class, tagging,
 * conditions) and the object headers every HEAD/GET/response carries (oss-api.md §2).
 */
import { OssError } from '../errors';
import { ARCHIVE_CLASSES, OBJECT_ACLS, STORAGE_CLASSES, type ObjectAcl, type ObjectMeta, type ObjectVersion, type StorageClass } from '../model';
import type { OpContext } from '../operation';
import { sseHeaders } from '../sse';

type Headers = Record<string, string | undefined>;

export function requireKey(ctx: OpContext): string {
  const key = ctx.key;
  if (key === undefined || key === '') throw new OssError('InvalidObjectName', 'The object name is empty.');
  // OSS: 1..1023 bytes of UTF-8 (oss-api docs "Object naming conventions").
  if (Buffer.byteLength(key, 'utf8') > 1023) throw new OssError('InvalidObjectName', 'The object name is longer than 1023 bytes.', { Key: key.slice(0, 64) });
  return key;
}

export function quote(etag: string): string { return `"${etag}"`; }
export function unquote(etag: string): string { return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''); }

/** The metadata a write request carries. Content-Type defaults to application/octet-stream as in OSS. */
export function metaFromHeaders(h: Headers): ObjectMeta {
  // fromEntries defines own properties, so a header like `x-oss-meta-__proto__` stays data, not a prototype.
  const userMeta: Record<string, string> = Object.fromEntries(Object.entries(h)
    .filter((e): e is [string, string] => e[0].startsWith('x-oss-meta-') && e[1] !== undefined)
    .map(([name, value]) => [name.slice('x-oss-meta-'.length), value]));
  const meta: ObjectMeta = { contentType: h['content-type'] || 'application/octet-stream', userMeta };
  if (h['cache-control'] !== undefined) meta.cacheControl = h['cache-control'];
  if (h['content-disposition'] !== undefined) meta.contentDisposition = h['content-disposition'];
  if (h['content-encoding'] !== undefined) meta.contentEncoding = h['content-encoding'];
  if (h['content-language'] !== undefined) meta.contentLanguage = h['content-language'];
  if (h['expires'] !== undefined) meta.expires = h['expires'];
  const metaBytes = Object.entries(userMeta).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (metaBytes > 8192) throw new OssError('InvalidArgument', 'The user metadata (x-oss-meta-*) exceeds 8 KB.', { ArgumentName: 'x-oss-meta-*' });
  return meta;
}

export function pickMeta(v: ObjectMeta): ObjectMeta {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, userMeta } = v;
  const m: ObjectMeta = { contentType, userMeta: { ...userMeta } };
  if (cacheControl !== undefined) m.cacheControl = cacheControl;
  if (contentDisposition !== undefined) m.contentDisposition = contentDisposition;
  if (contentEncoding !== undefined) m.contentEncoding = contentEncoding;
  if (contentLanguage !== undefined) m.contentLanguage = contentLanguage;
  if (expires !== undefined) m.expires = expires;
  return m;
}

export function parseAcl(h: Headers, fallback: ObjectAcl = 'default'): ObjectAcl {
  const v = h['x-oss-object-acl'];
  if (v === undefined) return fallback;
  if (!(OBJECT_ACLS as readonly string[]).includes(v)) {
    throw new OssError('InvalidArgument', `x-oss-object-acl "${v}" is invalid; use ${OBJECT_ACLS.join(', ')}.`, { ArgumentName: 'x-oss-object-acl', ArgumentValue: v });
  }
  return v as ObjectAcl;
}

export function parseStorageClass(value: string | undefined, fallback: StorageClass): StorageClass {
  if (value === undefined) return fallback;
  const hit = STORAGE_CLASSES.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!hit) {
    throw new OssError('InvalidArgument', `x-oss-storage-class "${value}" is invalid; use ${STORAGE_CLASSES.join(', ')}.`, { ArgumentName: 'x-oss-storage-class', ArgumentValue: value });
  }
  return hit;
}

/** `K=V&K2=V2`, URL-encoded (x-oss-tagging). Limits from the OSS object-tagging doc: 10 tags, key ≤128, value ≤256. */
export function parseTaggingHeader(value: string | undefined): Array<[string, string]> {
  if (value === undefined || value === '') return [];
  const tags: Array<[string, string]> = [];
  for (const pair of value.split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let k: string; let v: string;
    try { k = decodeURIComponent(rawKey.replace(/\+/g, ' ')); v = decodeURIComponent(rawValue.replace(/\+/g, ' ')); } catch {
      throw new OssError('InvalidArgument', `x-oss-tagging is not valid URL encoding: "${value}".`, { ArgumentName: 'x-oss-tagging' });
    }
    tags.push([k, v]);
  }
  return validateTags(tags, 'x-oss-tagging');
}

export function validateTags(tags: Array<[string, string]>, argumentName: string): Array<[string, string]> {
  if (tags.length > 10) throw new OssError('InvalidArgument', 'An object can have at most 10 tags.', { ArgumentName: argumentName });
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k === '' || k.length > 128) throw new OssError('InvalidArgument', `Tag key "${k}" must be 1..128 characters.`, { ArgumentName: argumentName });
    if (v.length > 256) throw new OssError('InvalidArgument', `Tag value of "${k}" is longer than 256 characters.`, { ArgumentName: argumentName });
    if (seen.has(k)) throw new OssError('InvalidArgument', `Tag key "${k}" appears twice.`, { ArgumentName: argumentName });
    seen.add(k);
  }
  return tags;
}

export function httpDate(ms: number): string { return new Date(ms).toUTCString(); }
export function isoDate(ms: number): string { return new Date(Math.floor(ms / 1000) * 1000).toISOString(); }

/** True when an archive-class object currently has no readable (restored, unexpired) copy. */
export function needsRestore(v: ObjectVersion, now: number): boolean {
  if (!ARCHIVE_CLASSES.includes(v.storageClass)) return false;
  return !v.restore || v.restore.readyAt > now || v.restore.expiresAt <= now;
}

export function restoreHeader(v: ObjectVersion, now: number): string | undefined {
  if (!v.restore || v.restore.expiresAt <= now) return undefined;
  if (v.restore.readyAt > now) return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${httpDate(v.restore.expiresAt)}"`;
}

/** Headers of an object as HEAD and GET return them. `versioned`: the bucket has (had) versioning. */
export function objectHeaders(v: ObjectVersion, now: number, versioned: boolean): Record<string, string | number | undefined> {
  const h: Record<string, string | number | undefined> = {
    'content-type': v.contentType,
    'content-length': v.size,
    etag: quote(v.etag),
    'last-modified': httpDate(v.lastModified),
    'accept-ranges': 'bytes',
    'x-oss-object-type': v.objectType,
    'x-oss-storage-class': v.storageClass,
    'x-oss-hash-crc64ecma': v.crc64,
    'content-md5': v.contentMd5,
    'cache-control': v.cacheControl,
    'content-disposition': v.contentDisposition,
    'content-encoding': v.contentEncoding,
    'content-language': v.contentLanguage,
    expires: v.expires,
    ...sseHeaders(v.sse),
    'x-oss-restore': restoreHeader(v, now),
    'x-oss-next-append-position': v.objectType === 'Appendable' ? v.size : undefined,
    'x-oss-tagging-count': v.tags.length > 0 ? v.tags.length : undefined,
    'x-oss-version-id': versioned ? v.versionId : undefined,
  };
  for (const [k, val] of Object.entries(v.userMeta)) h[`x-oss-meta-${k}`] = val;
  return h;
}

/**
 * Evaluates If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since (or their x-oss-copy-source-*
 * forms when `prefix` is given). Returns 304 when the object is "not modified", throws 412 PreconditionFailed with
 * <Condition> (`If-Match` or `If-Unmodified-Since`, also for the copy-source forms), or returns undefined to proceed. Order follows RFC 7232 §6 as OSS documents it.
 */
export function checkConditions(h: Headers, v: ObjectVersion, prefix = ''): 304 | undefined {
  const ifMatch = h[`${prefix}if-match`];
  const ifNoneMatch = h[`${prefix}if-none-match`];
  const ifModifiedSince = h[`${prefix}if-modified-since`];
  const ifUnmodifiedSince = h[`${prefix}if-unmodified-since`];
  const seconds = Math.floor(v.lastModified / 1000) * 1000;
  // OSS names the condition as If-Match / If-Unmodified-Since even for the x-oss-copy-source-* forms (issue 11 item 10).
  const cond = (name: string) => name.replace(/(^|-)(\w)/g, (_m, d: string, c: string) => d + c.toUpperCase());
  const etagIn = (list: string) => list.split(',').map(unquote).some((e) => e === '*' || e.toUpperCase() === v.etag.toUpperCase());
  if (ifMatch !== undefined && !etagIn(ifMatch)) throw new OssError('PreconditionFailed', undefined, { Condition: cond('if-match') });
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const t = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(t) && seconds > t) throw new OssError('PreconditionFailed', undefined, { Condition: cond('if-unmodified-since') });
  }
  if (ifNoneMatch !== undefined && etagIn(ifNoneMatch)) return 304;
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined) {
    const t = Date.parse(ifModifiedSince);
    if (!Number.isNaN(t) && seconds <= t) return 304;
  }
  return undefined;
}

/** Emits an object event for the bucket's notification rules. */
export function emitObjectEvent(ctx: OpContext, eventName: string, v: { key: string; size: number; etag: string; contentType?: string }, deltaSize: number, position?: number): void {
  ctx.svc.notifier.emit({
    eventName, bucket: ctx.bucket!, key: v.key, size: v.size, deltaSize, etag: v.etag, mimeType: v.contentType,
    position, requestId: ctx.requestId, sourceIp: ctx.sourceIp, time: ctx.svc.now(),
  });
}

export function versioned(ctx: OpContext): boolean {
  return ctx.svc.state.requireBucket(ctx.bucket).versioning !== 'Off';
}

/** Refuses to overwrite when `x-oss-forbid-overwrite: true` and the key exists (ignored in versioned buckets). */
export function checkForbidOverwrite(ctx: OpContext, key: string): void {
  if ((ctx.headers['x-oss-forbid-overwrite'] ?? '').toLowerCase() !== 'true') return;
  if (ctx.svc.state.requireBucket(ctx.bucket).versioning === 'Enabled') return;
  if (ctx.svc.state.current(ctx.bucket!, key)) throw new OssError('FileAlreadyExists', undefined, { Key: key }, '0026-00000011');
}
