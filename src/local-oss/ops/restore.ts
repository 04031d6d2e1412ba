/**
 * RestoreObject (POST ?restore, https://help.aliyun.com/document_detail/52930.html). Archive, ColdArchive and
 * DeepColdArchive objects must be restored before GetObject/CopyObject/UploadPartCopy; HEAD then reports
 * `x-oss-restore: ongoing-request="true"` until `restoreDelayMs` has passed, then `ongoing-request="false",
 * expiry-date="…"` for `Days` days. First request 202; while in progress 409 RestoreAlreadyInProgress; once
 * restored 200 (the expiry is extended).
 */
import { OssError } from '../errors';
import { ARCHIVE_CLASSES } from '../model';
import type { OpContext, OpResult } from '../operation';
import { childText } from '../xml';
import { requireKey, versioned } from './common';
import { parseXmlOr400 } from './object';

const DAY_MS = 86_400_000;

export async function restoreObject(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state } = ctx.svc;
  state.requireBucket(ctx.bucket);
  const v = state.resolve(ctx.bucket!, key, ctx.query.get('versionId'));
  const body = await ctx.readBody();
  let days = 1;
  if (body.length > 0) {
    const root = parseXmlOr400(body);
    const raw = childText(root, 'Days');
    if (raw !== undefined) {
      days = Number(raw);
      if (!Number.isInteger(days) || days < 1 || days > 365) {
        throw new OssError('InvalidArgument', `RestoreRequest Days must be an integer from 1 to 365, got "${raw}".`, { ArgumentName: 'Days' });
      }
    }
  }
  if (!ARCHIVE_CLASSES.includes(v.storageClass)) {
    throw new OssError('OperationNotSupported', `RestoreObject only applies to Archive, ColdArchive and DeepColdArchive objects; this one is ${v.storageClass}.`, { Key: key });
  }
  const now = ctx.svc.now();
  const versionHeader = { 'x-oss-version-id': versioned(ctx) ? v.versionId : undefined };
  if (v.restore && v.restore.expiresAt > now) {
    if (v.restore.readyAt > now) throw new OssError('RestoreAlreadyInProgress', undefined, { Key: key });
    await state.update(ctx.bucket!, { ...v, restore: { readyAt: v.restore.readyAt, expiresAt: now + days * DAY_MS } });
    return { status: 200, headers: versionHeader };
  }
  const readyAt = now + ctx.svc.restoreDelayMs;
  await state.update(ctx.bucket!, { ...v, restore: { readyAt, expiresAt: readyAt + days * DAY_MS } });
  return { status: 202, headers: versionHeader };
}
