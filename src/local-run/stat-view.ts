/**
 * An `ossutil stat`-style snapshot of one object, taken through the function's own OSS gateway
 * (so a view costs what the function's HEAD costs, and errors are the same translated ones).
 */
import type { OssGateway } from '../oss/gateway';
import { OssOperationError } from '../errors';
import { decodeHeaderValue } from '../oss/object-head';

export interface StatView {
  exists: boolean;
  size?: number;
  etag?: string;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  objectType?: string;
  storageClass?: string;
  encryption?: string;
  kmsKeyId?: string;
  dataEncryption?: string;
  /** Full `x-oss-meta-*` names → values. */
  userMeta: Record<string, string>;
  /** Absent for symlinks (tags belong to the target) and when unreadable (see tagsError). */
  tags?: Record<string, string>;
  /** Why tags could not be read, e.g. no oss:GetObjectTagging permission. */
  tagsError?: string;
}

export async function statObject(oss: OssGateway, bucket: string, key: string): Promise<StatView> {
  let head;
  try {
    ({ head } = await oss.head(bucket, key));
  } catch (err) {
    if (err instanceof OssOperationError && err.status === 404) return { exists: false, userMeta: {} };
    throw err;
  }
  const view: StatView = {
    exists: true,
    size: head.size,
    etag: head.etag.replace(/^"|"$/g, ''),
    objectType: head.objectType,
    storageClass: head.storageClass,
    userMeta: Object.fromEntries(Object.entries(head.userMeta).map(([k, v]) => [k, decodeHeaderValue(v)])),
  };
  if (head.standard['content-type']) view.contentType = head.standard['content-type'];
  if (head.standard['cache-control']) view.cacheControl = head.standard['cache-control'];
  if (head.standard['content-disposition']) view.contentDisposition = head.standard['content-disposition'];
  if (head.sse) {
    view.encryption = head.sse.algorithm;
    if (head.sse.kmsKeyId) view.kmsKeyId = head.sse.kmsKeyId;
    if (head.sse.dataEncryption) view.dataEncryption = head.sse.dataEncryption;
  }
  if (head.objectType !== 'Symlink') {
    try {
      view.tags = (await oss.getTagging(bucket, key)).tags;
    } catch (err) {
      // Shown, not fatal: the view must not fail a replay over a missing permission.
      view.tagsError = (err as { code?: string }).code ?? (err as Error).message;
    }
  }
  return view;
}

/** Display order of the fixed rows; x-oss-meta-* rows sort after them and Tagging comes last. */
export const ROW_ORDER = [
  'X-Oss-Server-Side-Encryption', 'X-Oss-Server-Side-Encryption-Key-Id', 'X-Oss-Server-Side-Data-Encryption',
  'Content-Type', 'Cache-Control', 'Content-Length', 'Etag', 'X-Oss-Object-Type', 'X-Oss-Storage-Class',
];

export function rowRank(name: string): number {
  const i = ROW_ORDER.indexOf(name);
  if (i >= 0) return i;
  return name === 'Tagging' ? 2000 : 1000;
}

/** Rows as `ossutil stat` names them; `-` for absent. */
export function statRows(v: StatView): Array<[string, string]> {
  if (!v.exists) return [['(object)', 'does not exist']];
  const rows: Array<[string, string]> = [['X-Oss-Server-Side-Encryption', v.encryption ?? '-']];
  // Only when set, so AES256 views stay short; a before/after merge still shows them appearing.
  if (v.kmsKeyId) rows.push(['X-Oss-Server-Side-Encryption-Key-Id', v.kmsKeyId]);
  if (v.dataEncryption) rows.push(['X-Oss-Server-Side-Data-Encryption', v.dataEncryption]);
  rows.push(
    ['Content-Type', v.contentType ?? '-'],
    ['Cache-Control', v.cacheControl ?? '-'],
    ['Content-Length', v.size === undefined ? '-' : String(v.size)],
    ['Etag', v.etag ?? '-'],
    ['X-Oss-Object-Type', v.objectType ?? '-'],
    ['X-Oss-Storage-Class', v.storageClass ?? '-'],
  );
  for (const [k, val] of Object.entries(v.userMeta).sort()) rows.push([titleCase(k), val]);
  if (v.tags) rows.push(['Tagging', Object.entries(v.tags).map(([k, t]) => `${k}=${t}`).join('&') || '-']);
  else if (v.tagsError) rows.push(['Tagging', `(unreadable: ${v.tagsError})`]);
  return rows;
}

function titleCase(header: string): string {
  return header.split('-').map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p)).join('-');
}
