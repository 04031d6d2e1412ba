/**
 * ListObjects (v1, https://help.aliyun.com/document_detail/31965.html) and ListObjectsV2 (list-type=2,
 * https://help.aliyun.com/document_detail/187544.html). Keys in UTF-8 byte order; `delimiter` folds keys into
 * CommonPrefixes; v1 entries carry <Owner> because ali-oss's v1 parser dereferences Contents.Owner.ID (oss-api.md §4.4).
 */
import { OssError } from '../errors';
import type { ObjectVersion } from '../model';
import type { OpContext, OpResult } from '../operation';
import { compareKeys } from '../state';
import { xmlDocument } from '../xml';
import { isoDate, quote, restoreHeader } from './common';

const XML = { 'content-type': 'application/xml' };

export interface PageParams { prefix: string; delimiter: string; marker: string; maxKeys: number }
export type PageItem<T> = { kind: 'item'; name: string; item: T } | { kind: 'prefix'; name: string };

/**
 * One page over (name, item) pairs sorted by name: items after `marker` under `prefix`, with names containing
 * `delimiter` after the prefix folded into one common prefix each. `next` is the last name returned when truncated.
 */
export function paginate<T>(entries: Iterable<[string, T]>, p: PageParams): { items: Array<PageItem<T>>; truncated: boolean; next: string } {
  const items: Array<PageItem<T>> = [];
  let lastPrefix: string | undefined;
  for (const [name, item] of entries) {
    if (!name.startsWith(p.prefix)) continue;
    if (p.marker !== '' && compareKeys(name, p.marker) <= 0) continue;
    if (p.delimiter) {
      const at = name.indexOf(p.delimiter, p.prefix.length);
      if (at >= 0) {
        const cp = name.slice(0, at + p.delimiter.length);
        // A marker equal to a common prefix means that whole group was already returned.
        if (cp === lastPrefix || (p.marker !== '' && compareKeys(cp, p.marker) <= 0)) continue;
        if (items.length === p.maxKeys) return { items, truncated: true, next: items[items.length - 1]!.name };
        items.push({ kind: 'prefix', name: cp });
        lastPrefix = cp;
        continue;
      }
    }
    if (items.length === p.maxKeys) return { items, truncated: true, next: items[items.length - 1]!.name };
    items.push({ kind: 'item', name, item });
  }
  return { items, truncated: false, next: '' };
}

/**
 * A page size (max-keys, max-uploads, max-parts): 1..1000 or 400 InvalidArgument. 0 is refused rather than answered
 * with an empty truncated page whose next marker equals the current one, on which a pager would loop forever
 * (a choice: OSS's answer to 0 and to more than 1000 is not documented).
 */
export function maxKeysParam(ctx: OpContext, name = 'max-keys', fallback = 100): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new OssError('InvalidArgument', `${name} must be an integer from 1 to 1000, got "${raw}".`, { ArgumentName: name, ArgumentValue: raw });
  }
  return n;
}

export function encoder(ctx: OpContext): (s: string) => string {
  const type = ctx.query.get('encoding-type');
  if (type !== null && type !== 'url') throw new OssError('InvalidArgument', `encoding-type must be "url", got "${type}".`, { ArgumentName: 'encoding-type' });
  return type === 'url' ? (s) => encodeURIComponent(s) : (s) => s;
}

/** Current (non-deleted) objects under `prefix` after `marker`, in key order, produced lazily. */
function* currentEntries(ctx: OpContext, p: PageParams): Generator<[string, ObjectVersion]> {
  const { state } = ctx.svc;
  for (const key of state.keysFrom(ctx.bucket!, p.prefix, p.marker)) {
    const v = state.current(ctx.bucket!, key);
    if (v) yield [key, v];
  }
}

function contents(ctx: OpContext, v: ObjectVersion, withOwner: boolean, enc: (s: string) => string) {
  const now = ctx.svc.now();
  const restore = restoreHeader(v, now);
  return {
    Key: enc(v.key), LastModified: isoDate(v.lastModified), ETag: quote(v.etag), Type: v.objectType, Size: v.size,
    StorageClass: v.storageClass, RestoreInfo: restore,
    Owner: withOwner ? { ID: ctx.svc.accountId, DisplayName: ctx.svc.accountId } : undefined,
  };
}

export async function listObjects(ctx: OpContext): Promise<OpResult> {
  const bucket = ctx.svc.state.requireBucket(ctx.bucket);
  const enc = encoder(ctx);
  const p: PageParams = { prefix: ctx.query.get('prefix') ?? '', delimiter: ctx.query.get('delimiter') ?? '', marker: ctx.query.get('marker') ?? '', maxKeys: maxKeysParam(ctx) };
  const page = paginate(currentEntries(ctx, p), p);
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListBucketResult', {
      Name: bucket.name, Prefix: enc(p.prefix), Marker: enc(p.marker), MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter),
      EncodingType: ctx.query.get('encoding-type') ?? undefined,
      IsTruncated: page.truncated, NextMarker: page.truncated ? enc(page.next) : undefined,
      Contents: page.items.flatMap((i) => (i.kind === 'item' ? [contents(ctx, i.item, true, enc)] : [])),
      CommonPrefixes: page.items.flatMap((i) => (i.kind === 'prefix' ? [{ Prefix: enc(i.name) }] : [])),
    }),
  };
}

/** Continuation tokens are opaque to clients; ours encode the last key returned. */
function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(key, 'utf8').toString('base64url') !== token) {
    throw new OssError('InvalidArgument', `continuation-token "${token}" was not issued by this server.`, { ArgumentName: 'continuation-token' });
  }
  return key;
}

export async function listObjectsV2(ctx: OpContext): Promise<OpResult> {
  const bucket = ctx.svc.state.requireBucket(ctx.bucket);
  const enc = encoder(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after') ?? '';
  const after = token ? decodeToken(token) : '';
  const marker = compareKeys(after, startAfter) >= 0 ? after : startAfter;
  const p: PageParams = { prefix: ctx.query.get('prefix') ?? '', delimiter: ctx.query.get('delimiter') ?? '', marker, maxKeys: maxKeysParam(ctx) };
  const page = paginate(currentEntries(ctx, p), p);
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListBucketResult', {
      Name: bucket.name, Prefix: enc(p.prefix), StartAfter: ctx.query.has('start-after') ? enc(startAfter) : undefined,
      ContinuationToken: token ?? undefined, MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter),
      EncodingType: ctx.query.get('encoding-type') ?? undefined, IsTruncated: page.truncated,
      NextContinuationToken: page.truncated ? Buffer.from(page.next, 'utf8').toString('base64url') : undefined,
      KeyCount: page.items.length,
      Contents: page.items.flatMap((i) => (i.kind === 'item' ? [contents(ctx, i.item, fetchOwner, enc)] : [])),
      CommonPrefixes: page.items.flatMap((i) => (i.kind === 'prefix' ? [{ Prefix: enc(i.name) }] : [])),
    }),
  };
}
