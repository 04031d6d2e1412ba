/**
 * Multipart upload: InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts, ListMultipartUploads. https://help.aliyun.com/document_detail/31992.html
 * (Initiate), 31993 (UploadPart), 31994 (UploadPartCopy), 31995 (Complete), 31996 (Abort), 31998 (ListParts),
 * 31997 (ListMultipartUploads); behaviour per oss-api.md §1.4. Parts use the SSE chosen at Initiate.
 */
import { createHash, randomBytes } from 'node:crypto';
import { OssError } from '../errors';
import type { PartRecord } from '../model';
import type { OpContext, OpResult } from '../operation';
import { assertOverwritable } from '../protection';
import { SSE_DATA_HEADER, SSE_HEADER, SSE_KEY_ID_HEADER, sealFromBucketRule, sealFromHeaders, sseHeaders } from '../sse';
import { compareKeys } from '../state';
import { childText, childrenNamed, xmlDocument } from '../xml';
import {
  checkForbidOverwrite, emitObjectEvent, isoDate, metaFromHeaders, parseAcl, parseStorageClass, parseTaggingHeader, quote, requireKey, unquote,
} from './common';
import { resolveCopySource } from './copy';
import { maxKeysParam } from './list';
import { parseXmlOr400 } from './object';

const XML = { 'content-type': 'application/xml' };
const MAX_PARTS = 10_000;

export async function initiateMultipartUpload(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state, kms } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  checkForbidOverwrite(ctx, key);
  // A bad algorithm → 400 InvalidEncryptionAlgorithmError, as documented for Initiate (oss-api.md §1.4).
  const seal = sealFromHeaders(ctx.headers, kms) ?? sealFromBucketRule(bucket.encryption, kms);
  const upload = {
    uploadId: randomBytes(16).toString('hex').toUpperCase(),
    bucket: bucket.name, key, initiated: ctx.svc.now(), meta: metaFromHeaders(ctx.headers), sse: seal,
    storageClass: parseStorageClass(ctx.headers['x-oss-storage-class'], bucket.storageClass),
    acl: parseAcl(ctx.headers), tags: parseTaggingHeader(ctx.headers['x-oss-tagging']), parts: {},
  };
  await state.saveUpload(upload);
  emitObjectEvent(ctx, 'ObjectCreated:InitiateMultipartUpload', { key, size: 0, etag: '' }, 0);
  return {
    status: 200,
    headers: { ...XML, ...sseHeaders(seal) },
    body: xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket.name, Key: key, UploadId: upload.uploadId }),
  };
}

function partNumber(ctx: OpContext): number {
  const raw = ctx.query.get('partNumber');
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw new OssError('InvalidArgument', `partNumber must be an integer from 1 to ${MAX_PARTS}, got "${raw}".`, { ArgumentName: 'partNumber', ArgumentValue: String(raw) });
  }
  return n;
}

function refuseSseOnPart(ctx: OpContext): void {
  for (const h of [SSE_HEADER, SSE_KEY_ID_HEADER, SSE_DATA_HEADER]) {
    if (ctx.headers[h] !== undefined) {
      throw new OssError('InvalidArgument', `${h} is not allowed on ${ctx.op}; parts use the encryption set at InitiateMultipartUpload.`, { ArgumentName: h });
    }
  }
}

/** The key, bucket and `?uploadId=` upload an operation on one multipart upload names (NoSuchBucket/NoSuchUpload otherwise). */
function openUpload(ctx: OpContext) {
  const key = requireKey(ctx);
  ctx.svc.state.requireBucket(ctx.bucket);
  return { key, upload: ctx.svc.state.upload(ctx.bucket!, key, ctx.query.get('uploadId')) };
}

/**
 * What UploadPart and UploadPartCopy check first: the upload, the part number, no SSE header, and that the upload's
 * KMS key is still usable (a choice: a part sealed with a key disabled after Initiate is refused with the key's 409,
 * as a PutObject with that key would be, rather than accepted and left to fail at Complete).
 */
function openPart(ctx: OpContext) {
  const { key, upload } = openUpload(ctx);
  const n = partNumber(ctx);
  refuseSseOnPart(ctx);
  checkUploadKey(ctx, upload.sse);
  return { key, upload, n };
}

function checkUploadKey(ctx: OpContext, sse: { algorithm: string; kmsKeyId?: string } | undefined): void {
  if (sse?.algorithm === 'KMS') ctx.svc.kms.checkForEncrypt(sse.kmsKeyId);
}

export async function uploadPart(ctx: OpContext): Promise<OpResult> {
  const { blobs } = ctx.svc;
  const { key, upload, n } = openPart(ctx);
  const blob = await blobs.put(ctx.body, upload.sse);
  await recordPart(ctx, key, n, { blobId: blob.id, size: blob.size, etag: blob.md5Hex.toUpperCase(), lastModified: ctx.svc.now() });
  emitObjectEvent(ctx, 'ObjectCreated:UploadPart', { key, size: blob.size, etag: blob.md5Hex.toUpperCase() }, 0);
  return { status: 200, headers: { etag: quote(blob.md5Hex.toUpperCase()), 'x-oss-hash-crc64ecma': blob.crc64, ...sseHeaders(upload.sse) } };
}

/**
 * Stores a finished part. The upload record is read again after the (slow) body transfer: parts of one upload
 * arrive in parallel (ali-oss sends 5 at once), and a record read before the transfer would overwrite the parts
 * recorded meanwhile. From this read to the record store's in-memory update there is no await, so it is atomic.
 */
async function recordPart(ctx: OpContext, key: string, n: number, part: PartRecord): Promise<void> {
  const { state, blobs } = ctx.svc;
  let upload;
  try {
    upload = state.upload(ctx.bucket!, key, ctx.query.get('uploadId'));
  } catch (err) {
    await blobs.remove(part.blobId); // aborted or completed while this part was uploading
    throw err;
  }
  const old = upload.parts[n];
  upload.parts[n] = part;
  await state.saveUpload(upload);
  if (old && old.blobId !== part.blobId) await blobs.remove(old.blobId);
}

/** `bytes=first-last` within the source; an invalid range copies the whole object (oss-api.md §1.4). */
function copyRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m) return undefined;
  const start = Number(m[1]); const end = Number(m[2]);
  if (start > end || end >= size) return undefined;
  return { start, end };
}

export async function uploadPartCopy(ctx: OpContext): Promise<OpResult> {
  const { state, blobs } = ctx.svc;
  const { key, upload, n } = openPart(ctx);
  const { src, version, notModified } = resolveCopySource(ctx, 'UploadPartCopy');
  const srcVersioned = state.requireBucket(src.bucket).versioning !== 'Off' || src.versionId !== undefined;
  const sourceVersionHeader = { 'x-oss-copy-source-version-id': srcVersioned ? version.versionId : undefined };
  if (notModified) return { status: 304, headers: sourceVersionHeader };
  const range = copyRange(ctx.headers['x-oss-copy-source-range'], version.size);
  const blob = version.blobId === undefined || version.size === 0
    ? await blobs.put(Buffer.alloc(0), upload.sse)
    : await blobs.compose([{ id: version.blobId, ...(range ?? {}) }], upload.sse);
  const now = ctx.svc.now();
  const etag = blob.md5Hex.toUpperCase();
  await recordPart(ctx, key, n, { blobId: blob.id, size: blob.size, etag, lastModified: now });
  emitObjectEvent(ctx, 'ObjectCreated:UploadPartCopy', { key, size: blob.size, etag }, 0);
  return {
    status: 200,
    // ali-oss reads the part ETag from the response header, not the body (oss-api.md §4.4).
    headers: { ...XML, etag: quote(etag), 'x-oss-hash-crc64ecma': blob.crc64, ...sseHeaders(upload.sse), ...sourceVersionHeader },
    body: xmlDocument('CopyPartResult', { LastModified: isoDate(now), ETag: quote(etag) }),
  };
}

export async function completeMultipartUpload(ctx: OpContext): Promise<OpResult> {
  const key = requireKey(ctx);
  const { state, blobs } = ctx.svc;
  const bucket = state.requireBucket(ctx.bucket);
  const upload = state.upload(bucket.name, key, ctx.query.get('uploadId'));
  // x-oss-object-acl on Complete sets the object's ACL (official SDK integration tests, oss-evidence.md §14);
  // without it the ACL given at Initiate (if any) applies.
  const acl = parseAcl(ctx.headers, upload.acl);
  const body = await ctx.readBody();
  let listed: Array<{ n: number; etag: string }>;
  if ((ctx.headers['x-oss-complete-all'] ?? '').toLowerCase() === 'yes') {
    if (body.length > 0) throw new OssError('InvalidArgument', 'With x-oss-complete-all: yes the request body must be empty.', { ArgumentName: 'x-oss-complete-all' });
    listed = Object.entries(upload.parts).map(([n, p]) => ({ n: Number(n), etag: p.etag })).sort((a, b) => a.n - b.n);
  } else {
    const root = parseXmlOr400(body);
    if (root.name !== 'CompleteMultipartUpload') throw new OssError('MalformedXML', 'The root element must be <CompleteMultipartUpload>.');
    listed = childrenNamed(root, 'Part').map((p) => {
      const n = Number(childText(p, 'PartNumber'));
      if (!Number.isInteger(n)) throw new OssError('MalformedXML', 'Every <Part> needs an integer <PartNumber>.');
      return { n, etag: unquote(childText(p, 'ETag') ?? '') };
    });
  }
  if (listed.length === 0) throw new OssError('MalformedXML', 'CompleteMultipartUpload needs at least one <Part>.');
  if (listed.length > MAX_PARTS) throw new OssError('InvalidArgument', `A multipart upload has at most ${MAX_PARTS} parts.`, { ArgumentName: 'Part' });
  const parts = listed.map(({ n, etag }, i) => {
    if (i > 0 && n <= listed[i - 1]!.n) throw new OssError('InvalidPartOrder', undefined, { PartNumber: String(n) });
    const p = upload.parts[n];
    if (!p || p.etag.toUpperCase() !== etag.toUpperCase()) throw new OssError('InvalidPart', undefined, { PartNumber: String(n), ETag: etag });
    return { n, ...p };
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < ctx.svc.multipartMinPartBytes) {
      throw new OssError('EntityTooSmall', `Part ${p.n} has ${p.size} bytes; every part but the last needs at least ${ctx.svc.multipartMinPartBytes}.`,
        { PartNumber: String(p.n), ProposedSize: String(p.size), MinSizeAllowed: String(ctx.svc.multipartMinPartBytes) });
    }
  });
  const nonVersioned = bucket.versioning !== 'Enabled';
  if ((ctx.headers['x-oss-forbid-overwrite'] ?? '').toLowerCase() === 'true' && nonVersioned && state.current(bucket.name, key)) {
    throw new OssError('FileAlreadyExists', undefined, { Key: key });
  }
  // Bucket rules are checked when the object is written (here), so a client must abort its refused upload.
  assertOverwritable(ctx.svc, bucket.name, key, ctx.principal);
  // A choice (docs/local-oss.md): Complete with a key no longer usable is refused with the key's 409, checked here
  // explicitly; the upload stays, so the client can complete it once the key is enabled again, or abort it.
  checkUploadKey(ctx, upload.sse);
  const blob = await blobs.compose(parts.map((p) => ({ id: p.blobId })), upload.sse);
  // Like OSS (and S3): MD5 of the concatenated binary part MD5s, "-<count>"; not the content's MD5.
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag, 'hex')));
  const etag = `${createHash('md5').update(md5s).digest('hex').toUpperCase()}-${parts.length}`;
  const previous = state.current(bucket.name, key);
  const stored = await state.write(bucket.name, {
    key, deleteMarker: false, blobId: blob.id, size: blob.size, etag, crc64: blob.crc64, lastModified: ctx.svc.now(),
    sse: upload.sse, objectType: 'Multipart', storageClass: upload.storageClass, acl, tags: upload.tags, ...upload.meta,
  });
  await state.deleteUpload(upload);
  emitObjectEvent(ctx, 'ObjectCreated:CompleteMultipartUpload', stored, stored.size - (previous?.size ?? 0));
  return {
    status: 200,
    headers: { ...XML, etag: quote(etag), 'x-oss-hash-crc64ecma': blob.crc64, ...sseHeaders(upload.sse), 'x-oss-version-id': bucket.versioning !== 'Off' ? stored.versionId : undefined },
    body: xmlDocument('CompleteMultipartUploadResult', {
      Location: `http://${bucket.name}.oss-${ctx.svc.region}.aliyuncs.com/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
      Bucket: bucket.name, Key: key, ETag: quote(etag),
    }),
  };
}

export async function abortMultipartUpload(ctx: OpContext): Promise<OpResult> {
  const { upload } = openUpload(ctx);
  await ctx.svc.state.deleteUpload(upload);
  return { status: 204 };
}

function intParam(ctx: OpContext, name: string, def: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new OssError('InvalidArgument', `${name} must be a non-negative integer, got "${raw}".`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(n, max);
}

export async function listParts(ctx: OpContext): Promise<OpResult> {
  const { upload } = openUpload(ctx);
  const maxParts = maxKeysParam(ctx, 'max-parts', 1000);
  const marker = intParam(ctx, 'part-number-marker', 0, MAX_PARTS);
  const all = Object.entries(upload.parts).map(([n, p]) => ({ n: Number(n), ...p })).filter((p) => p.n > marker).sort((a, b) => a.n - b.n);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListPartsResult', {
      Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId, StorageClass: upload.storageClass,
      PartNumberMarker: marker, NextPartNumberMarker: page.length ? page[page.length - 1]!.n : marker, MaxParts: maxParts, IsTruncated: truncated,
      Part: page.map((p) => ({ PartNumber: p.n, LastModified: isoDate(p.lastModified), ETag: quote(p.etag), Size: p.size })),
    }),
  };
}

export async function listMultipartUploads(ctx: OpContext): Promise<OpResult> {
  const bucket = ctx.svc.state.requireBucket(ctx.bucket);
  const prefix = ctx.query.get('prefix') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = maxKeysParam(ctx, 'max-uploads', 1000);
  // Ordered by key, then by upload ID (as OSS lists several uploads of one key). The markers continue exactly
  // after the last upload listed: later keys, or the same key with a greater upload ID when upload-id-marker is set.
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const all = ctx.svc.state.uploads(bucket.name)
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || byId(a.uploadId, b.uploadId))
    .filter((u) => keyMarker === '' || compareKeys(u.key, keyMarker) > 0
      || (u.key === keyMarker && uploadIdMarker !== '' && byId(u.uploadId, uploadIdMarker) > 0));
  const page = all.slice(0, maxUploads);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListMultipartUploadsResult', {
      Bucket: bucket.name, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? last.key : '', NextUploadIdMarker: truncated && last ? last.uploadId : '',
      Delimiter: ctx.query.get('delimiter') ?? '', Prefix: prefix, MaxUploads: maxUploads, IsTruncated: truncated,
      Upload: page.map((u) => ({ Key: u.key, UploadId: u.uploadId, StorageClass: u.storageClass, Initiated: isoDate(u.initiated) })),
    }),
  };
}
