/**
 * Object tagging and ACL: Get/Put/DeleteObjectTagging (https://help.aliyun.com/document_detail/114878.html,
 * 114855, 114879) and Get/PutObjectACL (31987, 31986). Neither creates a new version; they change the named one.
 */
import { OssError } from '../errors';
import type { OpContext, OpResult } from '../operation';
import { child, childText, childrenNamed, xmlDocument } from '../xml';
import { parseAcl, requireKey, validateTags, versioned } from './common';
import { parseXmlOr400 } from './object';

const XML = { 'content-type': 'application/xml' };

function target(ctx: OpContext) {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  const v = ctx.svc.state.resolve(ctx.bucket!, key, ctx.query.get('versionId'));
  return { v, versionHeader: { 'x-oss-version-id': versioned(ctx) ? v.versionId : undefined } };
}

export async function getObjectTagging(ctx: OpContext): Promise<OpResult> {
  const { v, versionHeader } = target(ctx);
  return {
    status: 200,
    headers: { ...XML, ...versionHeader },
    body: xmlDocument('Tagging', { TagSet: { Tag: v.tags.map(([Key, Value]) => ({ Key, Value })) } }),
  };
}

export async function putObjectTagging(ctx: OpContext): Promise<OpResult> {
  const { v, versionHeader } = target(ctx);
  const root = parseXmlOr400(await ctx.readBody());
  const set = root.name === 'Tagging' ? child(root, 'TagSet') : undefined;
  if (!set) throw new OssError('MalformedXML', 'The body must be <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>.');
  const tags = validateTags(childrenNamed(set, 'Tag').map((t) => [childText(t, 'Key') ?? '', child(t, 'Value')?.text ?? ''] as [string, string]), 'Tagging');
  await ctx.svc.state.update(ctx.bucket!, { ...v, tags });
  return { status: 200, headers: versionHeader };
}

export async function deleteObjectTagging(ctx: OpContext): Promise<OpResult> {
  const { v, versionHeader } = target(ctx);
  await ctx.svc.state.update(ctx.bucket!, { ...v, tags: [] });
  return { status: 204, headers: versionHeader };
}

export async function getObjectAcl(ctx: OpContext): Promise<OpResult> {
  const { v, versionHeader } = target(ctx);
  const owner = { ID: ctx.svc.accountId, DisplayName: ctx.svc.accountId };
  return {
    status: 200,
    headers: { ...XML, ...versionHeader },
    body: xmlDocument('AccessControlPolicy', { Owner: owner, AccessControlList: { Grant: v.acl } }),
  };
}

export async function putObjectAcl(ctx: OpContext): Promise<OpResult> {
  const { v, versionHeader } = target(ctx);
  if (ctx.headers['x-oss-object-acl'] === undefined) {
    throw new OssError('InvalidArgument', 'PutObjectACL needs the x-oss-object-acl header.', { ArgumentName: 'x-oss-object-acl' });
  }
  await ctx.svc.state.update(ctx.bucket!, { ...v, acl: parseAcl(ctx.headers) });
  return { status: 200, headers: versionHeader };
}
