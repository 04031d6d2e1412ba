/**
 * The only code that talks to ali-oss. Every call is retried with backoff (core/retry.ts) and every
 * SDK error is translated (translate-error.ts). Requests whose headers matter (copy, initiate, part
 * copy) go through ali-oss's own `request()` with exactly the headers we build, because its
 * `copy()` re-sends each header as `x-oss-copy-source-<name>` and invents a Content-Type, `putMeta`
 * resets Content-Type and `multipartUploadCopy` drops metadata (oss-api.md §0.4–0.5, §4.4).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import OSS from 'ali-oss';
import { translateOssError } from './translate-error';
import { parseObjectHead, type ObjectHead } from './object-head';
import { withRetry, type RetryOptions } from '../core/retry';
import { OssOperationError } from '../errors';

export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface GatewayOptions {
  /** Region id, e.g. `cn-hangzhou` (an `oss-` prefix is accepted too). */
  region: string;
  /** Default `https://oss-<region>-internal.aliyuncs.com`. */
  endpoint?: string;
  credentials: OssCredentials;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Told about every re-attempt: operation, translated error, attempt number, delay. */
  onRetry?: (info: { operation: string; error: OssOperationError; attempt: number; delayMs: number }) => void;
  /**
   * Stops the gateway gracefully, with a bound: on abort, retry waits end (no new attempt) while requests in flight
   * may still finish, so a responsive OSS completes the objects in flight; but once any request has gone
   * `stallWarningMs` without an answer (at once if one already has), every request in flight is cut (the
   * gateway's sockets destroyed) and every later call fails at once, with the non-retryable ossCode `Aborted`.
   * AbortMultipartUpload still goes out, once, so an interrupted multipart copy does not leave its parts billed.
   */
  signal?: AbortSignal;
  /** Told once per attempt that has had no answer for `stallWarningMs` (default 5 s), so a caller can say so long before the timeout. */
  onStall?: (info: { operation: string; endpoint: string; waitedMs: number; timeoutMs: number }) => void;
  stallWarningMs?: number;
}

/** How long an attempt may go unanswered before onStall hears of it. */
export const STALL_WARNING_MS = 5_000;

/** What every call returns: the OSS request id of the successful attempt and the response headers. */
export interface OssResponse {
  requestId?: string;
  headers: Record<string, string>;
  /** Request ids of failed attempts that were retried. */
  retriedRequestIds: string[];
}

export interface HeadResponse extends OssResponse {
  head: ObjectHead;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  storageClass?: string;
  lastModified?: string;
  type?: string;
}

export interface ListV2Response extends OssResponse {
  objects: ListedObject[];
  isTruncated: boolean;
  nextContinuationToken?: string;
}

/** One version of one key (ListObjectVersions), newest first as OSS lists them. */
export interface KeyVersion {
  versionId: string;
  etag: string;
  size: number;
  isLatest: boolean;
  lastModified?: string;
}

export interface ListV2Query {
  prefix?: string;
  continuationToken?: string;
  startAfter?: string;
  maxKeys?: number;
}

export interface OssGateway {
  readonly endpoint: string;
  head(bucket: string, key: string, opts?: { versionId?: string }): Promise<HeadResponse>;
  /** GetObjectAcl: `default`, `private`, `public-read` or `public-read-write`. */
  getAcl(bucket: string, key: string): Promise<OssResponse & { acl: string }>;
  putAcl(bucket: string, key: string, acl: string): Promise<OssResponse>;
  getTagging(bucket: string, key: string): Promise<OssResponse & { tags: Record<string, string> }>;
  /** PutObjectTagging (DeleteObjectTagging for no tags). */
  putTagging(bucket: string, key: string, tags: Record<string, string>): Promise<OssResponse>;
  /** CopyObject of the key onto itself with exactly `headers` (plus `x-oss-copy-source`). */
  copyInPlace(bucket: string, key: string, headers: Record<string, string>): Promise<OssResponse & { etag?: string }>;
  initMultipart(bucket: string, key: string, headers: Record<string, string>): Promise<OssResponse & { uploadId: string }>;
  /** UploadPartCopy of bytes [start, end] (inclusive) of the same key. */
  uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    range: { start: number; end: number },
    headers: Record<string, string>,
  ): Promise<OssResponse & { etag: string }>;
  /** `headers`: e.g. `x-oss-object-acl`, which OSS applies on Complete (evidence §14). */
  complete(bucket: string, key: string, uploadId: string, parts: { number: number; etag: string }[], headers?: Record<string, string>): Promise<OssResponse & { etag?: string }>;
  abort(bucket: string, key: string, uploadId: string): Promise<OssResponse>;
  deleteVersion(bucket: string, key: string, versionId: string): Promise<OssResponse>;
  listV2(bucket: string, query?: ListV2Query): Promise<ListV2Response>;
  /** Every version (not delete markers) of exactly this key, newest first. */
  listKeyVersions(bucket: string, key: string): Promise<OssResponse & { versions: KeyVersion[] }>;
}

/** ali-oss internals used for exact-header requests (lib/object.js `_objectRequestParams`, lib/client.js `request`). */
interface RawParams {
  headers?: Record<string, string>;
  subres?: unknown;
  successStatuses?: number[];
  xmlResponse?: boolean;
  content?: Buffer;
  mime?: string;
}
interface RawResult {
  status: number;
  headers: Record<string, string>;
  data: unknown;
  res: { headers: Record<string, string> };
}
interface RawClient {
  _objectRequestParams(method: string, name: string, options: { headers?: Record<string, string>; subres?: unknown; timeout?: number }): RawParams;
  request(params: RawParams): Promise<RawResult>;
}

export function defaultEndpoint(region: string): string {
  return `https://oss-${region.replace(/^oss-/, '')}-internal.aliyuncs.com`;
}

/** `x-oss-copy-source` as ali-oss builds it (lib/common/object/copyObject.js `_getSourceName`). */
export function copySource(bucket: string, key: string): string {
  return `/${bucket}/${encodeURIComponent(key)}`;
}

const requestIdOf = (headers: Record<string, unknown> | undefined): string | undefined => {
  const v = headers?.['x-oss-request-id'];
  return typeof v === 'string' ? v : undefined;
};

/**
 * ali-oss escapes a key with encodeURIComponent but keeps '/' (lib/client.js `_escape`), and urllib then
 * parses the URL with `new URL()`, which removes "." and ".." segments (also as %2E; WHATWG URL "double-dot
 * path segment"): a request for "a/../b" would go to "b" (signed for "a/../b", so it fails, but it names
 * the wrong object). OSS keys are opaque, so for keys with such segments every '/' is sent as %2F: the path
 * is then one segment that URL parsing keeps and OSS decodes back. The V1 signature covers the unescaped
 * key, so it is unchanged. The keys "." and ".." alone cannot be sent at all; src/event/parse.ts refuses
 * them. UNCONFIRMED against real OSS (RFC 3986 §2.4: %2F decodes to '/').
 */
// A regex, not split('/'): ali-oss escapes the key several times per request.
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
export const hasDotSegment = (key: string): boolean => DOT_SEGMENT.test(key);

export function keepDotSegments(c: OSS): void {
  const target = c as unknown as { _escape(name: string): string };
  const escape = target._escape.bind(c);
  target._escape = (name) => (hasDotSegment(name) ? escape(name).replace(/\//g, '%2F') : escape(name));
}

/**
 * ali-oss in latin1 mode UTF-8-encodes every header value before it signs and sends it
 * (lib/common/utils/createRequest.js → encoder.js), so on its own it cannot send bytes that are not UTF-8.
 * The gateway's header values are byte strings (object-head.ts `ByteString`, one char per byte as HEAD returned
 * them): this undoes that encoding just before signing, so the request carries, and the V1 signature covers, exactly
 * those bytes (Node writes header strings as latin1, one byte per char). ASCII values are unchanged by both steps.
 * test/oss/ali-oss-contract.test.ts fails with a clear message if ali-oss changes the internals this relies on.
 */
export function sendByteStrings(c: OSS): void {
  type Sign = (method: string, resource: string, subres: unknown, headers: Record<string, unknown>, encoding?: string) => string;
  const target = c as unknown as { authorization: Sign };
  const sign = target.authorization.bind(c);
  target.authorization = (method, resource, subres, headers, encoding) => {
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v === 'string' && /[\u0080-\u00ff]/.test(v)) headers[k] = Buffer.from(v, 'latin1').toString('utf8');
    }
    return sign(method, resource, subres, headers, encoding);
  };
}

export function createOssGateway(opts: GatewayOptions): OssGateway {
  const region = opts.region.replace(/^oss-/, '');
  const endpoint = opts.endpoint ?? defaultEndpoint(region);
  const timeout = opts.timeoutMs ?? 60_000;
  const clients = new Map<string, OSS>();

  const stallMs = opts.stallWarningMs ?? STALL_WARNING_MS;
  // With a signal, this gateway's own agents (keep-alive, as ali-oss's default ones), so a cut destroys exactly its
  // sockets: urllib 2, under ali-oss, takes no AbortSignal.
  const agents = opts.signal ? { agent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) } : undefined;
  const aborted = (operation: string) => new OssOperationError(operation, 'Aborted', -1, undefined, false, 'stopped before OSS answered: the run was interrupted');
  /** Start times of the attempts in flight. */
  const pending = new Set<{ startedAt: number }>();
  let cutOff = false;
  let cutTimer: NodeJS.Timeout | undefined;
  const cut = () => {
    cutOff = true;
    agents?.agent.destroy();
    agents?.httpsAgent.destroy();
  };
  /** After the abort: cut when the oldest request in flight reaches stallMs without an answer. */
  const scheduleCut = () => {
    if (!opts.signal?.aborted || cutOff || cutTimer || pending.size === 0) return;
    const oldest = Math.min(...[...pending].map((p) => p.startedAt));
    cutTimer = setTimeout(() => {
      cutTimer = undefined;
      if ([...pending].some((p) => Date.now() - p.startedAt >= stallMs)) cut();
      else scheduleCut(); // the oldest answered meanwhile: wait for the next one
    }, Math.max(0, oldest + stallMs - Date.now()));
    // Requests in flight hold the process open themselves; once they are answered, this timer must not.
    cutTimer.unref();
  };
  opts.signal?.addEventListener('abort', scheduleCut, { once: true });

  const client = (bucket: string): OSS => {
    let c = clients.get(bucket);
    if (!c) {
      c = new OSS({
        ...agents,
        region: `oss-${region}`,
        endpoint,
        bucket,
        accessKeyId: opts.credentials.accessKeyId,
        accessKeySecret: opts.credentials.accessKeySecret,
        // The gateway lives for one invocation with that invocation's STS keys, so no refresh is needed;
        // the interval only silences ali-oss's per-client console.warn (lib/common/client/initOptions.js).
        ...(opts.credentials.securityToken ? { stsToken: opts.credentials.securityToken, refreshSTSTokenInterval: 36 * 3600 * 1000 } : {}),
        timeout,
        secure: endpoint.startsWith('https:'),
        // Signs header values as the bytes it sends (ali-sdk/ali-oss#842 added this mode; the default 'utf-8' signs
        // other bytes than it sends for non-ASCII metadata: lib/common/utils/encoder.js, signUtils.js
        // computeSignature). sendByteStrings below makes those bytes exactly the ones HEAD returned.
        headerEncoding: 'latin1',
      } as OSS.Options);
      keepDotSegments(c);
      sendByteStrings(c);
      clients.set(bucket, c);
    }
    return c;
  };
  const raw = (bucket: string) => client(bucket) as unknown as RawClient;

  /** Runs one OSS operation with retries; translates errors; collects failed attempts' request ids. */
  async function call<T>(
    operation: string,
    fn: () => Promise<T>,
  ): Promise<{ result: T; base: OssResponse }> {
    const retriedRequestIds: string[] = [];
    const signal = opts.signal;
    // Cleanup after an abort still goes out, once: see GatewayOptions.signal.
    const cleanup = operation === 'AbortMultipartUpload' && signal?.aborted === true;
    if (cutOff && !cleanup) throw aborted(operation);
    let result: T;
    try {
      result = await withRetry(
        async () => {
          const attempt = { startedAt: Date.now() };
          const stall = opts.onStall ? setTimeout(() => opts.onStall?.({ operation, endpoint, waitedMs: stallMs, timeoutMs: timeout }), stallMs) : undefined;
          stall?.unref();
          pending.add(attempt);
          scheduleCut();
          try {
            return await fn();
          } catch (err) {
            throw cutOff && !cleanup ? aborted(operation) : translateOssError(operation, err);
          } finally {
            clearTimeout(stall);
            pending.delete(attempt);
          }
        },
        {
          isRetryable: (err) => (err as OssOperationError).retryable === true,
          onRetry: (err, attempt, delayMs) => {
            const e = err as OssOperationError;
            if (e.requestId) retriedRequestIds.push(e.requestId);
            opts.onRetry?.({ operation, error: e, attempt, delayMs });
          },
          ...(signal && !cleanup ? { signal } : {}),
        },
        cleanup ? { ...opts.retry, maxAttempts: 1 } : opts.retry,
      );
    } catch (err) {
      // A retry wait ended by the signal rejects with the signal's reason: name it like an aborted request.
      if (signal?.aborted && !cleanup) throw aborted(operation);
      throw err;
    }
    const res = (result as { res?: { headers?: Record<string, string> } } | undefined)?.res;
    const headers = res?.headers ?? {};
    const requestId = requestIdOf(headers);
    return { result, base: { ...(requestId ? { requestId } : {}), headers, retriedRequestIds } };
  }

  return {
    endpoint,

    async head(bucket, key, o = {}) {
      const { base } = await call('HeadObject', () => client(bucket).head(key, { ...(o.versionId ? { versionId: o.versionId } : {}), timeout } as OSS.HeadObjectOptions));
      return { ...base, head: parseObjectHead(base.headers) };
    },

    async getAcl(bucket, key) {
      const { result, base } = await call('GetObjectAcl', () => client(bucket).getACL(key, { timeout } as OSS.RequestOptions));
      return { ...base, acl: String((result as { acl: unknown }).acl) };
    },

    async putAcl(bucket, key, acl) {
      const { base } = await call('PutObjectAcl', () => client(bucket).putACL(key, acl as OSS.ACLType, { timeout } as OSS.RequestOptions));
      return base;
    },

    async getTagging(bucket, key) {
      const { result, base } = await call('GetObjectTagging', () =>
        (client(bucket) as unknown as { getObjectTagging(k: string, o: object): Promise<{ tag: Record<string, string>; res: { headers: Record<string, string> } }> }).getObjectTagging(key, { timeout }),
      );
      return { ...base, tags: { ...result.tag } };
    },

    async putTagging(bucket, key, tags) {
      type Tagging = { putObjectTagging(k: string, t: object, o: object): Promise<{ res: { headers: Record<string, string> } }>; deleteObjectTagging(k: string, o: object): Promise<{ res: { headers: Record<string, string> } }> };
      const c = client(bucket) as unknown as Tagging;
      const { base } = Object.keys(tags).length
        ? await call('PutObjectTagging', () => c.putObjectTagging(key, tags, { timeout }))
        : await call('DeleteObjectTagging', () => c.deleteObjectTagging(key, { timeout }));
      return base;
    },

    async copyInPlace(bucket, key, headers) {
      const { result, base } = await call('CopyObject', () => {
        const params = raw(bucket)._objectRequestParams('PUT', key, { headers: { ...headers, 'x-oss-copy-source': copySource(bucket, key) }, timeout });
        params.successStatuses = [200];
        params.xmlResponse = true;
        return raw(bucket).request(params);
      });
      const data = result.data as { ETag?: string } | undefined;
      return { ...base, ...(data?.ETag ? { etag: data.ETag } : {}) };
    },

    async initMultipart(bucket, key, headers) {
      const { result, base } = await call('InitiateMultipartUpload', () => {
        const params = raw(bucket)._objectRequestParams('POST', key, { headers, subres: 'uploads', timeout });
        params.successStatuses = [200];
        params.xmlResponse = true;
        return raw(bucket).request(params);
      });
      const uploadId = (result.data as { UploadId?: string } | undefined)?.UploadId;
      if (!uploadId) throw translateOssError('InitiateMultipartUpload', { name: 'MalformedResponseError', status: 200, message: 'response has no UploadId' });
      return { ...base, uploadId };
    },

    async uploadPartCopy(bucket, key, uploadId, partNumber, range, headers) {
      const { base } = await call('UploadPartCopy', () => {
        const params = raw(bucket)._objectRequestParams('PUT', key, {
          headers: { ...headers, 'x-oss-copy-source': copySource(bucket, key), 'x-oss-copy-source-range': `bytes=${range.start}-${range.end}` },
          subres: { partNumber: String(partNumber), uploadId },
          timeout,
        });
        params.successStatuses = [200];
        return raw(bucket).request(params);
      });
      // ali-oss reads the part ETag from the response header, not the body (oss-api.md §4.4).
      return { ...base, etag: base.headers.etag ?? '' };
    },

    async complete(bucket, key, uploadId, parts, headers = {}) {
      const { result, base } = await call('CompleteMultipartUpload', () =>
        client(bucket).completeMultipartUpload(key, uploadId, parts, { timeout, headers } as OSS.CompleteMultipartUploadOptions),
      );
      const etag = (result as { etag?: string }).etag ?? base.headers.etag;
      return { ...base, ...(etag ? { etag } : {}) };
    },

    async abort(bucket, key, uploadId) {
      const { base } = await call('AbortMultipartUpload', () => client(bucket).abortMultipartUpload(key, uploadId, { timeout } as OSS.RequestOptions));
      return base;
    },

    async deleteVersion(bucket, key, versionId) {
      const { base } = await call('DeleteObject', () => client(bucket).delete(key, { versionId, timeout } as OSS.RequestOptions));
      return base;
    },

    async listKeyVersions(bucket, key) {
      type Page = { objects: Array<{ name: string; versionId: string; etag: string; size: number; isLatest: boolean; lastModified?: string }>; isTruncated: boolean; nextKeyMarker?: string | null; nextVersionIdMarker?: string | null; res: { headers: Record<string, string> } };
      const versions: KeyVersion[] = [];
      const retriedRequestIds: string[] = [];
      let last: OssResponse | undefined;
      let marker: { keyMarker: string; versionIdMarker: string } | undefined;
      // Paged by key: a key with more than 1000 versions takes several pages; another key ends the listing.
      for (;;) {
        const { result, base } = await call('ListObjectVersions', () =>
          (client(bucket) as unknown as { getBucketVersions(q: object, o: object): Promise<Page> }).getBucketVersions({ prefix: key, maxKeys: 1000, ...(marker ?? {}) }, { timeout }),
        );
        retriedRequestIds.push(...base.retriedRequestIds);
        last = base;
        const mine = result.objects.filter((o) => o.name === key);
        versions.push(...mine.map((o) => ({ versionId: o.versionId, etag: o.etag, size: o.size, isLatest: o.isLatest, ...(o.lastModified ? { lastModified: o.lastModified } : {}) })));
        const other = result.objects.some((o) => o.name !== key);
        if (!result.isTruncated || other || !result.nextKeyMarker || result.nextKeyMarker !== key) break;
        marker = { keyMarker: result.nextKeyMarker, versionIdMarker: result.nextVersionIdMarker ?? '' };
      }
      return { ...last!, retriedRequestIds, versions };
    },

    async listV2(bucket, query = {}) {
      const q: Record<string, string | number> = { 'max-keys': query.maxKeys ?? 1000 };
      if (query.prefix) q.prefix = query.prefix;
      if (query.continuationToken) q['continuation-token'] = query.continuationToken;
      if (query.startAfter) q['start-after'] = query.startAfter;
      const { result, base } = await call('ListObjectsV2', () =>
        (client(bucket) as unknown as { listV2(q: object, o: object): Promise<{ objects?: Array<Record<string, unknown>>; isTruncated: boolean; nextContinuationToken?: string; res: { headers: Record<string, string> } }> }).listV2(q, { timeout }),
      );
      const objects = (result.objects ?? []).map((o) => ({
        key: String(o.name),
        size: Number(o.size ?? 0),
        etag: String(o.etag ?? ''),
        ...(o.storageClass ? { storageClass: String(o.storageClass) } : {}),
        ...(o.lastModified ? { lastModified: String(o.lastModified) } : {}),
        ...(o.type ? { type: String(o.type) } : {}),
      }));
      return {
        ...base,
        objects,
        isTruncated: Boolean(result.isTruncated),
        ...(result.nextContinuationToken ? { nextContinuationToken: String(result.nextContinuationToken) } : {}),
      };
    },
  };
}
