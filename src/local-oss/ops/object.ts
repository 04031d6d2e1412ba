/**
 * Object operations: PutObject, GetObject, HeadObject, GetObjectMeta, DeleteObject, DeleteMultipleObjects.
 * https://help.aliyun.com/document_detail/31978.html (PutObject), 31980 (GetObject), 31984 (HeadObject),
 * 31985 (GetObjectMeta), 31982 (DeleteObject), 31983 (DeleteMultipleObjects); headers per oss-api.md §2.
 */
import { OssError } from '../errors';
import type { ObjectVersion } from '../model';
import type { OpContext, OpResult } from '../operation';
import { sealFromBucketRule, sealFromHeaders, sseHeaders } from '../sse';
import { child, childText, childrenNamed, parseXml, xmlDocument } from '../xml';
import {
  checkConditions, checkForbidOverwrite, emitObjectEvent, metaFromHeaders, needsRestore, objectHeaders, parseAcl,
  parseStorageClass, parseTaggingHeader, quote, requireKey, versioned,
} from './common';
import { assertModifiable, assertOverwritable } from '../protection';

export async function putObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state, kms, blobs } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  checkForbidOverwrite(ctx, key);
  assertOverwritable(ctx.svc, bucket.name, key, ctx.principal);
  const meta = metaFromHeaders(ctx.headers);
  const seal = sealFromHeaders(ctx.headers, kms) ?? sealFromBucketRule(bucket.encryption, kms);
  const storageClass = parseStorageClass(ctx.headers['x-oss-storage-class'], bucket.storageClass);
  const acl = parseAcl(ctx.headers);
  const tags = parseTaggingHeader(ctx.headers['x-oss-tagging']);
  const blob = await blobs.put(ctx.body, seal);
  const previous = state.current(bucket.name, key);
  const stored = await state.write(bucket.name, {
    key, deleteMarker: false, blobId: blob.id, size: blob.size, etag: blob.md5Hex.toUpperCase(),
    contentMd5: Buffer.from(blob.md5Hex, 'hex').toString('base64'), crc64: blob.crc64, lastModified: ctx.svc.now(),
    sse: seal, objectType: 'Normal', storageClass, acl, tags, ...meta,
  });
  emitObjectEvent(ctx, 'ObjectCreated:PutObject', stored, stored.size - (previous?.size ?? 0));
  return {
    status: 200,
    headers: {
      etag: quote(stored.etag), 'content-md5': stored.contentMd5, 'x-oss-hash-crc64ecma': stored.crc64, ...sseHeaders(seal),
      'x-oss-version-id': bucket.versioning !== 'Off' ? stored.versionId : undefined,
    },
  };
}

/** A symlink's target version (same bucket), or the version itself. */
export function followSymlink(ctx: OpContext, v: ObjectVersion): ObjectVersion {
  if (v.objectType !== 'Symlink') return v;
  const target = ctx.svc.state.current(ctx.bucket!, v.symlinkTarget ?? '');
  if (!target) throw new OssError('SymlinkTargetNotExist', undefined, { Key: v.key, Target: v.symlinkTarget ?? '' });
  if (target.objectType === 'Symlink') throw new OssError('InvalidTargetType', undefined, { Key: v.key });
  return target;
}

/** HEAD headers: a symlink reports its target's length/ETag/Content-Md5, everything else its own (oss-api.md §1.2). */
function headHeaders(ctx: OpContext, v: ObjectVersion): { headers: Record<string, string | number | undefined>; content: ObjectVersion } {
  const now = ctx.svc.now();
  const content = followSymlink(ctx, v);
  const headers = objectHeaders(v, now, versioned(ctx));
  if (content !== v) Object.assign(headers, { 'content-length': content.size, etag: quote(content.etag), 'content-md5': content.contentMd5 });
  return { headers, content };
}

export async function headObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  const v = ctx.svc.state.resolve(ctx.bucket!, key, ctx.query.get('versionId'), { markerIs405: true });
  if (checkConditions(ctx.headers, v) === 304) return { status: 304, headers: { etag: quote(v.etag) } };
  return { status: 200, headers: headHeaders(ctx, v).headers };
}

export async function getObjectMeta(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  const v = ctx.svc.state.resolve(ctx.bucket!, key, ctx.query.get('versionId'));
  // Only ETag, size, Last-Modified (+ version id): GetObjectMeta carries no SSE headers (oss-api.md §2).
  return {
    status: 200,
    headers: {
      etag: quote(v.etag), 'content-length': v.size, 'last-modified': new Date(v.lastModified).toUTCString(),
      'x-oss-last-access-time': new Date(v.lastModified).toUTCString(), 'x-oss-version-id': versioned(ctx) ? v.versionId : undefined,
    },
  };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type', 'response-content-language': 'content-language', 'response-expires': 'expires',
  'response-cache-control': 'cache-control', 'response-content-disposition': 'content-disposition', 'response-content-encoding': 'content-encoding',
};

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`. undefined = ignore the header (OSS returns the whole object for an invalid range). */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw new OssError('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: String(size) }, '0003-00000106');
  return { start, end };
}

export async function getObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  const v = ctx.svc.state.resolve(ctx.bucket!, key, ctx.query.get('versionId'), { markerIs405: true });
  if (checkConditions(ctx.headers, v) === 304) return { status: 304, headers: { etag: quote(v.etag) } };
  const { headers, content } = headHeaders(ctx, v);
  if (needsRestore(content, ctx.svc.now())) {
    throw new OssError('InvalidObjectState', `The object is in ${content.storageClass} storage; restore it (RestoreObject) before reading it.`, { Key: key });
  }
  for (const [q, h] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = ctx.query.get(q);
    if (value !== null) headers[h] = value;
  }
  const range = content.size > 0 ? parseRange(ctx.headers['range'], content.size) : undefined;
  if (!content.blobId || content.size === 0) return { status: 200, headers: { ...headers, 'content-length': 0 }, body: '' };
  if (range) {
    return {
      status: 206,
      headers: { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${content.size}` },
      body: ctx.svc.blobs.read(content.blobId, range),
    };
  }
  return { status: 200, headers, body: ctx.svc.blobs.read(content.blobId) };
}

/** Removes an object (or one version) per the bucket's versioning status. Returns what the response reports. */
async function deleteOne(ctx: OpContext, key: string, versionId: string | null, eventName = 'ObjectRemoved:DeleteObject'): Promise<{ deleteMarker: boolean; versionId?: string; existed: boolean }> {
  const { state } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  // Retention guards the data: deleting a version, or the object of an unversioned bucket (the policy excludes versioning).
  if (versionId || bucket.versioning === 'Off') assertModifiable(ctx.svc, bucket.name, key, 'deleted');
  const before = state.current(bucket.name, key);
  let result: { deleteMarker: boolean; versionId?: string; existed: boolean };
  if (versionId) {
    const gone = await state.removeVersion(bucket.name, key, versionId);
    result = { deleteMarker: gone?.deleteMarker ?? false, versionId, existed: gone !== undefined };
  } else if (bucket.versioning === 'Off') {
    const gone = await state.removeVersion(bucket.name, key, 'null');
    result = { deleteMarker: false, existed: gone !== undefined };
  } else {
    const marker = await state.write(bucket.name, {
      key, deleteMarker: true, size: 0, etag: '', crc64: '0', lastModified: ctx.svc.now(), objectType: 'Normal',
      storageClass: 'Standard', acl: 'default', tags: [], contentType: '', userMeta: {},
    });
    result = { deleteMarker: true, versionId: marker.versionId, existed: before !== undefined };
  }
  if (before && !state.current(bucket.name, key)) emitObjectEvent(ctx, eventName, { key, size: 0, etag: before.etag }, -before.size);
  return result;
}

export async function deleteObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const r = await deleteOne(ctx, key, ctx.query.get('versionId'));
  return { status: 204, headers: { 'x-oss-delete-marker': r.deleteMarker ? 'true' : undefined, 'x-oss-version-id': r.versionId } };
}

/** POST /?delete with <Delete><Quiet/><Object><Key/><VersionId/></Object>…</Delete> (at most 1000 keys). */
export async function deleteMultipleObjects(ctx: OpContext): Promise<OpResult> {
  ctx.svc.state.requireBucket(ctx.bucket);
  const body = await ctx.readBody();
  const root = parseXmlOr400(body);
  if (root.name !== 'Delete') throw new OssError('MalformedXML', 'The root element must be <Delete>.');
  const quiet = (childText(root, 'Quiet') ?? 'false').toLowerCase() === 'true';
  const objects = childrenNamed(root, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw new OssError('MalformedXML', 'DeleteMultipleObjects takes 1..1000 <Object> elements.');
  const entries = objects.map((o) => ({ key: child(o, 'Key')?.text ?? '', versionId: childText(o, 'VersionId') ?? null }));
  // All or nothing (a choice, docs/local-oss.md): every key is checked against the Deny rules (a VersionId needs
  // oss:DeleteObjectVersion) and retention before any is deleted, so a refusal never leaves half the list deleted.
  const versioningOff = ctx.svc.state.requireBucket(ctx.bucket).versioning === 'Off';
  for (const { key, versionId } of entries) {
    if (key === '') throw new OssError('MalformedXML', 'Every <Object> needs a non-empty <Key>.');
    ctx.authorize('DeleteObject', versionId ?? undefined);
    if (versionId || versioningOff) assertModifiable(ctx.svc, ctx.bucket!, key, 'deleted');
  }
  const deleted = [];
  for (const { key, versionId } of entries) {
    const r = await deleteOne({ ...ctx, key }, key, versionId, 'ObjectRemoved:DeleteObjects');
    deleted.push({ Key: key, VersionId: r.versionId, DeleteMarker: r.deleteMarker ? 'true' : undefined, DeleteMarkerVersionId: r.deleteMarker ? r.versionId : undefined });
  }
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xmlDocument('DeleteResult', { Deleted: quiet ? [] : deleted }) };
}

export function parseXmlOr400(body: Buffer): ReturnType<typeof parseXml> {
  try { return parseXml(body.toString('utf8')); } catch (err) {
    throw new OssError('MalformedXML', `The XML body is not well-formed: ${(err as Error).message}.`);
  }
}
