/**
 * CopyObject (PUT with x-oss-copy-source), https://help.aliyun.com/document_detail/31979.html, following the
 * header table and findings of oss-api.md §0–§1:
 * - an in-place copy in a bucket without versioning enabled takes the request's metadata whatever the directive
 *   (so a client that omits Content-Type etc. loses them; [DOC21] "regardless of x-oss-metadata-directive");
 * - SSE is never inherited: only the request's SSE headers (or the bucket's default rule) apply;
 * - ACL omitted → `default` when the copy goes to another key or the request asks for an SSE or class change, kept
 *   by a metadata-only in-place copy (oss-evidence.md §4); storage class omitted → the bucket's class (Standard),
 *   even in place (UNCONFIRMED, the worst case for a client that forgets to re-send it), which alone is no "change";
 * - tags follow x-oss-tagging-directive (Copy by default);
 * - a copy whose request changes encryption or storage class is limited to `copyChangeLimitBytes` (10^9 bytes);
 * - Appendable sources and unrestored archive sources are refused.
 */
import { createHash } from 'node:crypto';
import { OssError } from '../errors';
import type { ObjectVersion } from '../model';
import type { OpContext, OpResult } from '../operation';
import { parseCopySource, type CopySource } from '../copy-source';
import { assertOverwritable } from '../protection';
import { SSE_HEADER, sameSeal, sealFromBucketRule, sealFromHeaders, sseHeaders } from '../sse';
import { xmlDocument } from '../xml';
import {
  checkConditions, checkForbidOverwrite, emitObjectEvent, isoDate, metaFromHeaders, needsRestore, parseAcl,
  parseStorageClass, parseTaggingHeader, pickMeta, quote, requireKey,
} from './common';

/** Copies between buckets are capped at 5 GiB; same-bucket copies without an SSE/class change may exceed it (oss-api.md §0.3). */
const COPY_MAX_BYTES = 5 * 1024 ** 3;

export { parseCopySource, type CopySource } from '../copy-source';

/**
 * Resolves and checks the source of CopyObject / UploadPartCopy: it exists, is not Appendable, is restored if
 * archived; evaluates the x-oss-copy-source-if-* conditions (304 or 412).
 */
export function resolveCopySource(ctx: OpContext, op: 'CopyObject' | 'UploadPartCopy'): { src: CopySource; version: ObjectVersion; notModified: boolean } {
  const src = parseCopySource(ctx.headers['x-oss-copy-source']);
  ctx.svc.state.requireBucket(src.bucket);
  const version = ctx.svc.state.resolve(src.bucket, src.key, src.versionId);
  if (version.objectType === 'Appendable') {
    throw new OssError('InvalidArgument', `${op} cannot copy an Appendable object; read it with GetObject and write a new object instead.`,
      { ArgumentName: 'x-oss-copy-source', ArgumentValue: src.key });
  }
  if (op === 'UploadPartCopy' && version.objectType === 'Symlink') {
    throw new OssError('InvalidArgument', 'UploadPartCopy cannot copy a Symlink object.', { ArgumentName: 'x-oss-copy-source' });
  }
  const notModified = checkConditions(ctx.headers, version, 'x-oss-copy-source-') === 304;
  if (!notModified && version.objectType !== 'Symlink' && needsRestore(version, ctx.svc.now())) {
    throw new OssError('InvalidObjectState', `The source object is in ${version.storageClass} storage and not restored; call RestoreObject and wait until x-oss-restore says ongoing-request="false".`,
      { Key: src.key }, '0026-00000024');
  }
  return { src, version, notModified };
}

export async function copyObject(ctx: OpContext): Promise<OpResult> {
  const destKey = requireKey(ctx);
  const { state, kms, blobs } = ctx.svc;
  const dest = state.requireBucket(ctx.bucket);
  const { src, version: source, notModified } = resolveCopySource(ctx, 'CopyObject');
  const srcBucket = state.requireBucket(src.bucket);
  const copySourceVersion = srcBucket.versioning !== 'Off' || src.versionId ? source.versionId : undefined;
  if (notModified) return { status: 304, headers: { 'x-oss-copy-source-version-id': copySourceVersion } };

  const inPlace = src.bucket === dest.name && src.key === destKey;
  // In place the destination always exists, so x-oss-forbid-overwrite: true always refuses (oss-api.md §1.1).
  checkForbidOverwrite(ctx, destKey);
  assertOverwritable(ctx.svc, dest.name, destKey, ctx.principal);
  const directive = (ctx.headers['x-oss-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new OssError('InvalidArgument', `x-oss-metadata-directive must be COPY or REPLACE, got "${ctx.headers['x-oss-metadata-directive']}".`, { ArgumentName: 'x-oss-metadata-directive' });
  }
  const tagDirective = (ctx.headers['x-oss-tagging-directive'] ?? 'Copy').toLowerCase();
  if (tagDirective !== 'copy' && tagDirective !== 'replace') {
    throw new OssError('InvalidArgument', `x-oss-tagging-directive must be Copy or Replace, got "${ctx.headers['x-oss-tagging-directive']}".`, { ArgumentName: 'x-oss-tagging-directive' });
  }
  // [DOC21]: same key, versioning not enabled → the request's metadata, whatever the directive.
  const requestMeta = directive === 'REPLACE' || (inPlace && dest.versioning !== 'Enabled');
  const meta = requestMeta ? metaFromHeaders(ctx.headers) : pickMeta(source);
  const seal = sealFromHeaders(ctx.headers, kms) ?? sealFromBucketRule(dest.encryption, kms);
  const storageClass = parseStorageClass(ctx.headers['x-oss-storage-class'], dest.storageClass);
  const tags = tagDirective === 'replace' ? parseTaggingHeader(ctx.headers['x-oss-tagging']) : source.tags.map(([k, v]) => [k, v] as [string, string]);

  const rewrites = !sameSeal(source.sse, seal) || storageClass !== source.storageClass;
  // A change the request asks for: its own SSE or storage-class header differs from the source's. The implicit ones
  // (SSE not inherited, an omitted class becoming the bucket's) still happen, but do not make the copy a rewrite for
  // the ACL and the size limit: a metadata-only in-place copy stays one (a choice, docs/local-oss.md).
  const requestedRewrite = (ctx.headers[SSE_HEADER] !== undefined && !sameSeal(source.sse, seal))
    || (ctx.headers['x-oss-storage-class'] !== undefined && storageClass !== source.storageClass);
  // Without x-oss-object-acl (oss-evidence.md §4, ossutil's real-OSS set-meta tests): a copy to another key, or an
  // in-place copy that rewrites the content (encryption or storage class change), gets `default`; a metadata-only
  // in-place copy keeps the object's ACL.
  const acl = parseAcl(ctx.headers, inPlace && !requestedRewrite ? source.acl : 'default');
  // OSS documents "1 GB" for a copy that changes encryption or class; the byte boundary and the error are not
  // documented (oss-evidence.md §10). The stricter reading (10^9) with the only over-size message seen from real OSS
  // (aliyun/oss-browser#245) under the code OSS uses for "exceeds the maximum allowed size": see docs/local-oss.md.
  if (requestedRewrite && source.size > ctx.svc.copyChangeLimitBytes) {
    throw tooLarge(source.size, ctx.svc.copyChangeLimitBytes,
      'a CopyObject that changes the encryption or storage class; rewrite it with a multipart upload and UploadPartCopy');
  }
  if (src.bucket !== dest.name && source.size > COPY_MAX_BYTES) {
    throw tooLarge(source.size, COPY_MAX_BYTES, 'a CopyObject between buckets; use a multipart upload and UploadPartCopy');
  }

  let blobId = source.blobId;
  let crc64 = source.crc64;
  let etag = source.etag;
  if (source.objectType !== 'Symlink' && source.blobId !== undefined) {
    // The stored blob can be shared only by versions of the same key (state.ts frees per key), and only when the
    // bytes at rest are sealed the way the destination wants.
    if (!inPlace || !sameSeal(source.sse, seal)) {
      const info = await blobs.compose([{ id: source.blobId }], seal);
      blobId = info.id;
      crc64 = info.crc64;
      // Content is unchanged, so a Normal object's MD5 ETag still holds; other types get a fresh opaque ETag
      // when the content is rewritten (UNCONFIRMED, docs/local-oss.md).
      if (source.objectType !== 'Normal' && rewrites) etag = opaqueEtag(source.etag, ctx.requestId);
    }
  }
  const previous = state.current(dest.name, destKey);
  const stored = await state.write(dest.name, {
    key: destKey, deleteMarker: false, blobId, size: source.size, etag, contentMd5: source.contentMd5, crc64,
    lastModified: ctx.svc.now(), sse: seal, objectType: source.objectType, storageClass, acl, tags, ...meta,
    ...(source.symlinkTarget !== undefined ? { symlinkTarget: source.symlinkTarget } : {}),
  });
  emitObjectEvent(ctx, 'ObjectCreated:CopyObject', stored, stored.size - (previous?.size ?? 0));
  return {
    status: 200,
    headers: {
      'content-type': 'application/xml', etag: quote(stored.etag), 'x-oss-hash-crc64ecma': stored.crc64, ...sseHeaders(seal),
      'x-oss-version-id': dest.versioning !== 'Off' ? stored.versionId : undefined, 'x-oss-copy-source-version-id': copySourceVersion,
    },
    body: xmlDocument('CopyObjectResult', { ETag: quote(stored.etag), LastModified: isoDate(stored.lastModified) }),
  };
}

function tooLarge(size: number, max: number, what: string): OssError {
  return new OssError('EntityTooLarge', `Source object Length exceeds the maximum allowed size: ${size} bytes, at most ${max} for ${what}.`,
    { ProposedSize: String(size), MaxSizeAllowed: String(max) });
}

/** A non-MD5 ETag for rewritten Multipart/Appendable content (upper-case hex, like OSS's). */
export function opaqueEtag(...seed: string[]): string {
  return createHash('md5').update(seed.join('\n')).update(String(Math.random())).digest('hex').toUpperCase();
}
