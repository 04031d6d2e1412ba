/**
 * AppendObject (POST ?append&position=N, https://help.aliyun.com/document_detail/31981.html). The first append
 * (position 0, no object) creates an Appendable object with the request's metadata, SSE, class, ACL and tags;
 * later appends must name the current length and keep the first append's encryption.
 */
import { OssError } from '../errors';
import type { OpContext, OpResult } from '../operation';
import { assertModifiable } from '../protection';
import { sealFromBucketRule, sealFromHeaders, sseHeaders } from '../sse';
import {
  emitObjectEvent, metaFromHeaders, parseAcl, parseStorageClass, parseTaggingHeader, quote, requireKey,
} from './common';
import { opaqueEtag } from './copy';

export async function appendObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state, kms, blobs } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  const raw = ctx.query.get('position');
  const position = Number(raw);
  if (raw === null || raw === '' || !Number.isInteger(position) || position < 0) {
    throw new OssError('InvalidArgument', `AppendObject needs a non-negative integer position, got "${raw}".`, { ArgumentName: 'position' });
  }
  const current = state.current(bucket.name, key);
  if (current && current.objectType !== 'Appendable') throw new OssError('ObjectNotAppendable', undefined, { Key: key });
  assertModifiable(ctx.svc, bucket.name, key, 'appended to');
  const length = current?.size ?? 0;
  if (position !== length) {
    ctx.req.resume();
    throw new OssError('PositionNotEqualToLength', `Position ${position} is not the object's length ${length}.`, { Key: key, NextAppendPosition: String(length) });
  }
  const seal = current ? current.sse : sealFromHeaders(ctx.headers, kms) ?? sealFromBucketRule(bucket.encryption, kms);
  const piece = await blobs.put(ctx.body, seal);
  let blobId = piece.id;
  let crc64 = piece.crc64;
  let size = piece.size;
  if (current?.blobId) {
    const joined = await blobs.compose([{ id: current.blobId }, { id: piece.id }], seal);
    await blobs.remove(piece.id);
    blobId = joined.id; crc64 = joined.crc64; size = joined.size;
  }
  // Another append may have landed while this body was streaming: then this one no longer starts at the end.
  const latest = state.current(bucket.name, key);
  if (latest?.blobId !== current?.blobId || latest?.size !== current?.size) {
    await blobs.remove(blobId);
    throw new OssError('PositionNotEqualToLength', `Position ${position} is no longer the object's length ${latest?.size ?? 0}.`,
      { Key: key, NextAppendPosition: String(latest?.size ?? 0) });
  }
  const now = ctx.svc.now();
  const etag = opaqueEtag(current?.etag ?? '', piece.md5Hex);
  let stored;
  if (current) {
    // Appends change the object in place: no new version per append.
    stored = { ...current, blobId, size, crc64, etag, lastModified: now };
    await state.update(bucket.name, stored);
    if (current.blobId) await blobs.remove(current.blobId);
  } else {
    stored = await state.write(bucket.name, {
      key, deleteMarker: false, blobId, size, etag, crc64, lastModified: now, sse: seal, objectType: 'Appendable',
      storageClass: parseStorageClass(ctx.headers['x-oss-storage-class'], bucket.storageClass), acl: parseAcl(ctx.headers),
      tags: parseTaggingHeader(ctx.headers['x-oss-tagging']), ...metaFromHeaders(ctx.headers),
    });
  }
  emitObjectEvent(ctx, 'ObjectCreated:AppendObject', stored, piece.size, position);
  return {
    status: 200,
    headers: {
      etag: quote(etag), 'x-oss-next-append-position': size, 'x-oss-hash-crc64ecma': crc64, ...sseHeaders(seal),
      'x-oss-version-id': bucket.versioning !== 'Off' ? stored.versionId : undefined,
    },
  };
}
