/**
 * Versioning: Put/GetBucketVersioning (https://help.aliyun.com/document_detail/171954.html, 171955) and
 * ListObjectVersions (GET /?versions, 173855). A bucket goes Off → Enabled ⇄ Suspended, never back to Off.
 */
import { OssError } from '../errors';
import type { ObjectVersion } from '../model';
import type { OpContext, OpResult } from '../operation';
import { childText, xmlDocument } from '../xml';
import { isoDate, quote, restoreHeader } from './common';
import { encoder, maxKeysParam } from './list';
import { parseXmlOr400 } from './object';
import { compareKeys } from '../state';

const XML = { 'content-type': 'application/xml' };

export async function putBucketVersioning(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  const root = parseXmlOr400(await ctx.readBody());
  const status = root.name === 'VersioningConfiguration' ? childText(root, 'Status') : undefined;
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new OssError('MalformedXML', `VersioningConfiguration Status must be Enabled or Suspended, got "${status ?? ''}".`);
  }
  await ctx.svc.state.putBucket({ ...b, versioning: status });
  return { status: 200 };
}

export async function getBucketVersioning(ctx: OpContext): Promise<OpResult> {
  const b = ctx.svc.state.requireBucket(ctx.bucket);
  return { status: 200, headers: XML, body: xmlDocument('VersioningConfiguration', { Status: b.versioning === 'Off' ? undefined : b.versioning }) };
}

export async function listObjectVersions(ctx: OpContext): Promise<OpResult> {
  const { state, accountId } = ctx.svc;
  const b = state.requireBucket(ctx.bucket);
  const enc = encoder(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  const maxKeys = maxKeysParam(ctx);
  const owner = { ID: accountId, DisplayName: accountId };
  const now = ctx.svc.now();
  const versions: ObjectVersion[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let nextKey = '';
  let nextVersion = '';
  outer: for (const key of state.keysFrom(b.name, prefix, '')) {
    if (!key.startsWith(prefix)) continue;
    if (keyMarker !== '' && compareKeys(key, keyMarker) < 0) continue;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const cp = key.slice(0, at + delimiter.length);
        if (prefixes.includes(cp) || (keyMarker !== '' && compareKeys(cp, keyMarker) <= 0)) continue;
        if (versions.length + prefixes.length === maxKeys) { truncated = true; break; }
        prefixes.push(cp);
        nextKey = cp; nextVersion = '';
        continue;
      }
    }
    const list = state.versions(b.name, key);
    let start = 0;
    if (key === keyMarker) {
      if (versionIdMarker === '') continue;
      start = list.findIndex((v) => v.versionId === versionIdMarker) + 1;
      if (start === 0) continue;
    }
    for (let i = start; i < list.length; i++) {
      if (versions.length + prefixes.length === maxKeys) { truncated = true; break outer; }
      versions.push(list[i]!);
      nextKey = key; nextVersion = list[i]!.versionId;
    }
  }
  const isLatest = (v: ObjectVersion) => state.versions(b.name, v.key)[0] === v;
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListVersionsResult', {
      Name: b.name, Prefix: enc(prefix), KeyMarker: enc(keyMarker), VersionIdMarker: versionIdMarker, MaxKeys: maxKeys,
      Delimiter: enc(delimiter), IsTruncated: truncated,
      NextKeyMarker: truncated ? enc(nextKey) : undefined, NextVersionIdMarker: truncated ? nextVersion : undefined,
      DeleteMarker: versions.filter((v) => v.deleteMarker).map((v) => ({
        Key: enc(v.key), VersionId: v.versionId, IsLatest: isLatest(v), LastModified: isoDate(v.lastModified), Owner: owner,
      })),
      Version: versions.filter((v) => !v.deleteMarker).map((v) => ({
        Key: enc(v.key), VersionId: v.versionId, IsLatest: isLatest(v), LastModified: isoDate(v.lastModified), ETag: quote(v.etag),
        Type: v.objectType, Size: v.size, StorageClass: v.storageClass, RestoreInfo: restoreHeader(v, now), Owner: owner,
      })),
      CommonPrefixes: prefixes.map((p) => ({ Prefix: enc(p) })),
    }),
  };
}
