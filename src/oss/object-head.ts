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
  /** The response's `Date`: the server's clock when it answered (one-second resolution, like Last-Modified). */
  servedAt?: string;
  /**
   * The standard metadata headers present on the object (lower-case names), present-but-empty ones included.
   * Values are byte strings (one char per byte, as Node reads headers): see {@link ByteString}.
   */
  standard: Partial<Record<(typeof STANDARD_METADATA_HEADERS)[number], string>>;
  /** Full `x-oss-meta-*` header names → values, as byte strings (see {@link ByteString}). */
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
 * A header value exactly as its bytes arrived: Node's HTTP parser hands each byte over as one latin1 char
 * (U+0000–U+00FF). Metadata is re-sent in this form, never decoded, because OSS stores whatever bytes a
 * client sent: UTF-8 (`张三`), latin1 (`caf\xe9` from ali-oss's default mode or Python's http.client) or GBK
 * from a browser form. Decoding would rewrite the non-UTF-8 ones (issue #10: `63 61 66 e9` came back as
 * `63 61 66 c3 a9`). The gateway sends these chars as the same bytes (src/oss/gateway.ts `sendByteStrings`).
 */
export type ByteString = string;

/** For display only (logs, replay): the UTF-8 text when the bytes are valid UTF-8, else the bytes as they came. */
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

/** The raw byte string of a header that is present, even when empty (`Cache-Control: ` is metadata too). */
const raw = (h: Record<string, unknown>, name: string): ByteString | undefined => {
  const v = h[name];
  if (Array.isArray(v)) return v.map(String).join(', ');
  return typeof v === 'string' ? v : undefined;
};

export function parseObjectHead(headers: Record<string, unknown>): ObjectHead {
  const standard: ObjectHead['standard'] = {};
  for (const name of STANDARD_METADATA_HEADERS) {
    const v = raw(headers, name);
    if (v !== undefined) standard[name] = v;
  }
  const userMeta: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase().startsWith('x-oss-meta-') && typeof v === 'string') userMeta[k.toLowerCase()] = v;
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
  const servedAt = str(headers, 'date');
  if (servedAt) head.servedAt = servedAt;
  if (algorithm) head.sse = { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}), ...(dataEncryption ? { dataEncryption } : {}) };
  if (restore) head.restore = restore;
  if (versionId && versionId !== 'null') head.versionId = versionId;
  return head;
}

/** SSE as reported by any response's headers (copy, complete), or undefined when it says nothing. */
export function sseFromHeaders(headers: Record<string, unknown>): ObjectSse | undefined {
  return parseObjectHead(headers).sse;
}
