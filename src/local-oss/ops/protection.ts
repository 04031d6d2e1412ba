/**
 * Bucket write protection over HTTP: Put/Get/DeleteBucketOverwriteConfig (`?overwriteConfig`, XML shape of [GO2]
 * oss/api_op_bucket_overwriteconfig.go) and the retention policy: InitiateBucketWorm (POST `?worm`), CompleteBucketWorm
 * (POST `?wormId=`), AbortBucketWorm (DELETE `?worm`), GetBucketWorm (GET `?worm`), https://help.aliyun.com/document_detail/130834.html.
 * The rules themselves live in ../protection.ts.
 */
import { OssError } from '../errors';
import type { OverwriteRule } from '../model';
import type { OpContext, OpResult } from '../operation';
import { abortWorm, activeWorm, completeWorm, initiateWorm, putOverwriteRules } from '../protection';
import { child, childText, childrenNamed, xmlDocument } from '../xml';
import { isoDate } from './common';
import { parseXmlOr400 } from './object';

const XML = { 'content-type': 'application/xml' };

export async function putBucketOverwriteConfig(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const root = parseXmlOr400(await ctx.readBody());
  if (root.name !== 'OverwriteConfiguration') throw new OssError('MalformedXML', 'The root element must be <OverwriteConfiguration>.');
  const rules = childrenNamed(root, 'Rule').map((r): OverwriteRule => {
    const principals = child(r, 'Principals');
    return {
      id: childText(r, 'ID') || undefined, action: (childText(r, 'Action') ?? '') as 'forbid',
      prefix: childText(r, 'Prefix') || undefined, suffix: childText(r, 'Suffix') || undefined,
      principals: principals ? childrenNamed(principals, 'Principal').map((p) => p.text.trim()).filter(Boolean) : undefined,
    };
  });
  await putOverwriteRules(ctx.svc, b.name, rules);
  return { status: 200 };
}

export async function getBucketOverwriteConfig(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('OverwriteConfiguration', {
      Rule: (b.overwriteRules ?? []).map((r) => ({
        ID: r.id ?? '', Action: r.action, Prefix: r.prefix ?? '', Suffix: r.suffix ?? '', Principals: { Principal: r.principals ?? [] },
      })),
    }),
  };
}

export async function deleteBucketOverwriteConfig(ctx: OpContext): Promise<OpResult> {
  await putOverwriteRules(ctx.svc, ctx.svc.state.requireBucket(ctx.bucket).name, []);
  return { status: 204 };
}

export async function initiateBucketWorm(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const root = parseXmlOr400(await ctx.readBody());
  const days = root.name === 'InitiateWormConfiguration' ? childText(root, 'RetentionPeriodInDays') : undefined;
  if (days === undefined) throw new OssError('MalformedXML', 'The body must be <InitiateWormConfiguration><RetentionPeriodInDays>N</RetentionPeriodInDays></InitiateWormConfiguration>.');
  const wormId = await initiateWorm(ctx.svc, b.name, /^\d+$/.test(days) ? Number(days) : NaN);
  return { status: 200, headers: { 'x-oss-worm-id': wormId } };
}

export async function completeBucketWorm(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  await completeWorm(ctx.svc, b.name, ctx.query.get('wormId') ?? '');
  return { status: 200 };
}

export async function abortBucketWorm(ctx: OpContext): Promise<OpResult> {
  await abortWorm(ctx.svc, ctx.svc.state.requireBucket(ctx.bucket).name);
  return { status: 204 };
}

export async function getBucketWorm(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const worm = activeWorm(b, ctx.svc.now());
  if (!worm) throw new OssError('NoSuchWORMConfiguration', undefined, { BucketName: b.name });
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('WormConfiguration', {
      WormId: worm.wormId, State: worm.state, RetentionPeriodInDays: worm.retentionDays, CreationDate: isoDate(worm.createdAt),
    }),
  };
}
