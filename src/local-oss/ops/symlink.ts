/**
 * PutSymlink / GetSymlink (https://help.aliyun.com/document_detail/45126.html, 45146). The target travels
 * URL-encoded in `x-oss-symlink-target` (ali-oss escapes it, lib/common/object/putSymlink.js). HEAD/GET of a
 * link follow it (ops/object.ts); the object type value `Symlink` is UNCONFIRMED (oss-api.md §2).
 */
import { createHash } from 'node:crypto';
import { OssError } from '../errors';
import type { OpContext, OpResult } from '../operation';
import { assertOverwritable } from '../protection';
import { checkForbidOverwrite, emitObjectEvent, httpDate, metaFromHeaders, parseAcl, parseStorageClass, quote, requireKey, versioned } from './common';

function decodeTarget(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new OssError('InvalidArgument', 'PutSymlink needs the x-oss-symlink-target header.', { ArgumentName: 'x-oss-symlink-target' });
  try { return decodeURIComponent(raw); } catch {
    throw new OssError('InvalidArgument', `x-oss-symlink-target "${raw}" is not valid URL encoding.`, { ArgumentName: 'x-oss-symlink-target' });
  }
}

export async function putSymlink(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  const target = decodeTarget(ctx.headers['x-oss-symlink-target']);
  checkForbidOverwrite(ctx, key);
  assertOverwritable(ctx.svc, bucket.name, key, ctx.principal);
  const previous = state.current(bucket.name, key);
  const stored = await state.write(bucket.name, {
    key, deleteMarker: false, size: 0, etag: createHash('md5').update(target).digest('hex').toUpperCase(), crc64: '0',
    lastModified: ctx.svc.now(), objectType: 'Symlink', storageClass: parseStorageClass(ctx.headers['x-oss-storage-class'], bucket.storageClass),
    acl: parseAcl(ctx.headers), tags: [], symlinkTarget: target, ...metaFromHeaders(ctx.headers),
  });
  emitObjectEvent(ctx, 'ObjectCreated:PutSymlink', stored, -(previous?.size ?? 0));
  return { status: 200, headers: { etag: quote(stored.etag), 'x-oss-version-id': bucket.versioning !== 'Off' ? stored.versionId : undefined } };
}

export async function getSymlink(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  const v = ctx.svc.state.resolve(ctx.bucket!, key, ctx.query.get('versionId'));
  if (v.objectType !== 'Symlink') throw new OssError('NotSymlink', undefined, { Key: key });
  const meta: Record<string, string> = {};
  for (const [k, val] of Object.entries(v.userMeta)) meta[`x-oss-meta-${k}`] = val;
  return {
    status: 200,
    headers: {
      'x-oss-symlink-target': encodeURIComponent(v.symlinkTarget ?? ''), etag: quote(v.etag), 'last-modified': httpDate(v.lastModified),
      'x-oss-version-id': versioned(ctx) ? v.versionId : undefined, ...meta,
    },
  };
}
