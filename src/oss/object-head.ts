/**
 * HeadObject response headers → the typed facts the decision needs (oss-api.md §2).
 * Lower-case header names, as ali-oss (urllib) returns them.
 */
export interface ObjectSse {
  algorithm: string;
  kmsKeyId?: string;
  dataEncryption?: string;
}

/** Standard headers that OSS stores with an object and that a REPLACE copy must re-send. */
export const STANDARD_METADATA_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

export interface ObjectHead {
  /** As OSS returns it: quoted. */
  etag: string;
  size: number;
  lastModified?: string;
  /** The standard metadata headers present on the object (lower-case names). */
  standard: Partial<Record<(typeof STANDARD_METADATA_HEADERS)[number], string>>;
  /** Full `x-oss-meta-*` header names → values. */
  userMeta: Record<string, string>;
  sse?: ObjectSse;
  /** `Normal`, `Multipart`, `Appendable`, `Symlink`. */
  objectType: string;
  /** `Standard` when absent. */
  storageClass: string;
  /** Raw `x-oss-restore`. */
  restore?: string;
  taggingCount: number;
  /** Absent or `null` when the bucket is not versioned. */
  versionId?: string;
}

/**
 * Node hands header bytes over as latin1 characters; OSS metadata is UTF-8 (e.g. `x-oss-meta-name: 张三`).
 * Decode when the bytes are valid UTF-8 so values round-trip through the gateway (which re-encodes them)
 * and read correctly in logs; otherwise keep them as they came.
 */
export function decodeHeaderValue(v: string): string {
  if (!/[\u0080-\u00ff]/.test(v) || /[^\u0000-\u00ff]/.test(v)) return v;
  const bytes = Buffer.from(v, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : v;
}

const str = (h: Record<string, unknown>, name: string): string | undefined => {
  const v = h[name];
  if (Array.isArray(v)) return v.map(String).map(decodeHeaderValue).join(', ');
  return typeof v === 'string' && v !== '' ? decodeHeaderValue(v) : undefined;
};

export function parseObjectHead(headers: Record<string, unknown>): ObjectHead {
  const standard: ObjectHead['standard'] = {};
  for (const name of STANDARD_METADATA_HEADERS) {
    const v = str(headers, name);
    if (v !== undefined) standard[name] = v;
  }
  const userMeta: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase().startsWith('x-oss-meta-') && typeof v === 'string') userMeta[k.toLowerCase()] = decodeHeaderValue(v);
  }
  const algorithm = str(headers, 'x-oss-server-side-encryption');
  const kmsKeyId = str(headers, 'x-oss-server-side-encryption-key-id');
  const dataEncryption = str(headers, 'x-oss-server-side-data-encryption');
  const versionId = str(headers, 'x-oss-version-id');
  const restore = str(headers, 'x-oss-restore');
  const lastModified = str(headers, 'last-modified');
  const head: ObjectHead = {
    etag: str(headers, 'etag') ?? '',
    size: Number(str(headers, 'content-length') ?? 0),
    standard,
    userMeta,
    objectType: str(headers, 'x-oss-object-type') ?? 'Normal',
    storageClass: str(headers, 'x-oss-storage-class') ?? 'Standard',
    taggingCount: Number(str(headers, 'x-oss-tagging-count') ?? 0) || 0,
  };
  if (lastModified) head.lastModified = lastModified;
  if (algorithm) head.sse = { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}), ...(dataEncryption ? { dataEncryption } : {}) };
  if (restore) head.restore = restore;
  if (versionId && versionId !== 'null') head.versionId = versionId;
  return head;
}

/** SSE as reported by any response's headers (copy, complete), or undefined when it says nothing. */
export function sseFromHeaders(headers: Record<string, unknown>): ObjectSse | undefined {
  return parseObjectHead(headers).sse;
}
