/**
 * The HTTP layer: resolves bucket and key from Host/path, picks the operation (routes.ts), applies injected
 * latency/faults, authenticates every request (no unsigned request gets through), runs the operation and writes
 * its result or the rendered error. Every response carries `x-oss-request-id`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AccessPolicy } from './auth/access-policy';
import { authenticate, type Principal } from './auth/authenticate';
import type { CredentialStore } from './auth/credentials';
import { checkContentMd5Format, checkPayloadHashFormat, verifiedBody } from './body-check';
import { OssError } from './errors';
import type { FaultInjector, FaultRule } from './faults';
import type { OpContext, OpResult, Services } from './operation';
import { renderError, toOssError } from './render';
import type { RequestLog } from './request-log';
import { route, type Scope } from './routes';

export interface ServerDeps {
  svc: Services;
  creds: CredentialStore;
  log: RequestLog;
  faults: FaultInjector;
  access: AccessPolicy;
  maxSkewMs: number;
}

/** 24 upper-case hex characters, like OSS request ids. */
export function newRequestId(): string { return randomBytes(12).toString('hex').toUpperCase(); }

export interface Address { scope: Scope; bucket?: string; key?: string }

/**
 * Virtual-hosted style when Host names a bucket: `<bucket>.oss-<region>.aliyuncs.com` (what ali-oss sends even to an
 * IP endpoint, lib/common/utils/createRequest.js) or `<bucket>.<any host>`. Path style (`/bucket/key`) when Host is
 * an IP, `localhost`, or a bare `oss-<region>.aliyuncs.com`. Against an IP endpoint ali-oss interpolates a missing
 * bucket into Host (`.oss-…` for ListBuckets, `undefined.oss-…` elsewhere), so those labels mean "no bucket".
 */
export function resolveAddress(hostHeader: string | undefined, rawPath: string): Address {
  const hostname = (hostHeader ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  let bucket: string | undefined;
  if (hostname && !isIP(hostname) && hostname !== 'localhost') {
    const labels = hostname.split('.');
    const first = labels[0]!;
    if (hostname.endsWith('.aliyuncs.com')) {
      if (first !== '' && !first.startsWith('oss-') && first !== 'undefined' && labels.length > 3) bucket = first;
    } else if (labels.length >= 2 && first !== '' && first !== 'undefined') {
      bucket = first;
    }
  }
  const decode = (s: string): string => {
    try { return decodeURIComponent(s); } catch {
      throw new OssError('InvalidObjectName', `The request path is not valid percent-encoding: "${rawPath.slice(0, 200)}".`);
    }
  };
  if (bucket !== undefined) {
    const key = decode(rawPath.slice(1));
    return key === '' ? { scope: 'bucket', bucket } : { scope: 'object', bucket, key };
  }
  const path = rawPath.slice(1);
  if (path === '') return { scope: 'service' };
  const slash = path.indexOf('/');
  const b = decode(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decode(path.slice(slash + 1));
  return key === '' ? { scope: 'bucket', bucket: b } : { scope: 'object', bucket: b, key };
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readBody(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    // The rest of the request is drained by send(); the iterator does not destroy the socket on return.
    if (size > limit) throw new OssError('EntityTooLarge', `The request body exceeds ${limit} bytes.`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Operations that stream their (possibly huge) body into the blob store; it is verified as its last chunk arrives. */
const STREAMING_OPS = new Set(['PutObject', 'AppendObject', 'UploadPart']);
/** Every other body (XML documents of OSS are at most a few MiB) is read whole before the operation runs. */
const MAX_SMALL_BODY_BYTES = 5 * 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Node's strict parser answers a request carrying both `Content-Length` and `Transfer-Encoding: chunked` with a bare
 * 400 and closes the socket; ali-oss sends exactly that for `put(stream, { headers: { 'Content-Length': n } })`, and
 * real OSS stores the object (the chunked framing wins, RFC 9112 §6.3). Node offers no switch for that case alone,
 * so the server runs the lenient parser and `checkHeaderSyntax` puts back the header checks the strict one made.
 */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5); no other control characters. */
const BAD_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

export function checkHeaderSyntax(rawHeaders: string[]): void {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (!HEADER_NAME.test(name) || BAD_HEADER_VALUE.test(rawHeaders[i + 1] ?? '')) {
      throw new OssError('InvalidArgument', `The request header "${name.slice(0, 64)}" is not valid HTTP (bad name or control characters in its value).`, { ArgumentName: name.slice(0, 64) });
    }
  }
}

/**
 * What the lenient parser lets through and the strict one refused, where the request still shows it: an HTTP version
 * other than 1.0/1.1, and a Transfer-Encoding other than exactly `chunked` (`gzip, chunked`, `identity`, …; OSS
 * takes no transfer coding but chunked). 400 and the connection is closed, as the body's framing is then unclear.
 * Other leniencies leave no trace in the parsed request (docs/local-oss.md lists them).
 */
export function checkFraming(httpVersion: string, transferEncoding: string | undefined): void {
  if (httpVersion !== '1.1' && httpVersion !== '1.0') {
    throw new OssError('InvalidArgument', `HTTP/${httpVersion.slice(0, 16)} is not supported; send HTTP/1.1.`, { ArgumentName: 'HTTP-Version', ArgumentValue: httpVersion.slice(0, 16) });
  }
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') {
    throw new OssError('NotImplemented', `Transfer-Encoding "${transferEncoding.slice(0, 64)}" is not supported; send "chunked" or a Content-Length.`, { Header: 'Transfer-Encoding' });
  }
}

export function createOssServer(deps: ServerDeps): Server {
  const server = createServer({ insecureHTTPParser: true }, (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      // Only reachable if writing the response itself failed; the socket is unusable then.
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  // ali-oss keeps connections alive; long benchmark runs should not pile up idle sockets forever.
  server.keepAliveTimeout = 5000;
  return server;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { svc, log, faults } = deps;
  const requestId = newRequestId();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const headers = lowerHeaders(req);
  let op = 'Unknown';
  let bucket: string | undefined;
  let key: string | undefined;
  let principal: Principal | undefined;
  let fault: FaultRule['kind'] | undefined;
  const finish = (status: number, code?: string): void => {
    log.add({ time: svc.now(), requestId, op, method, bucket, key, status, code, fault, accessKeyId: principal?.accessKeyId });
  };
  let badFraming = false;
  try {
    try {
      checkFraming(req.httpVersion, headers['transfer-encoding']);
    } catch (err) { badFraming = true; throw err; }
    checkHeaderSyntax(req.rawHeaders);
    const addr = resolveAddress(headers.host, rawPath);
    bucket = addr.bucket;
    key = addr.key;
    const r = route(addr.scope, method, query, headers);
    op = r.op;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const rule = faults.pick(op);
    if (rule) {
      fault = rule.kind;
      if (rule.kind === 'drop') {
        finish(0);
        req.socket.destroy();
        return;
      }
      if (rule.kind === 'http500') throw new OssError('InternalError', 'Injected fault (http500).');
      if (rule.kind === 'http503') throw new OssError('ServiceUnavailable', 'Injected fault (http503).');
      if (rule.kind === 'slow') await sleep(rule.delayMs ?? 1000);
    }
    principal = authenticate({ method, rawPath, query, headers, bucket, key }, deps.creds, new Date(svc.now()), deps.maxSkewMs, svc.region);
    if ('error' in r) throw r.error;
    deps.access.check({ op, principal, bucket, query, headers });
    // What the client signed for the body: Content-MD5 always, the payload hash only in V4 requests.
    const v4 = (headers['authorization'] ?? '').startsWith('OSS4-HMAC-SHA256') || query.has('x-oss-signature-version');
    const sha256 = v4 ? headers['x-oss-content-sha256'] : undefined;
    checkPayloadHashFormat(sha256);
    checkContentMd5Format(headers['content-md5']);
    let body: AsyncIterable<Buffer> = verifiedBody(req.iterator({ destroyOnReturn: false }), { contentMd5: headers['content-md5'], sha256 });
    if (!STREAMING_OPS.has(op)) {
      // Operations that ignore or only parse a small body would otherwise act before (or without) the check: the body
      // (empty for a GET) is read and verified first, so a mismatching Content-MD5 or payload hash changes nothing.
      const whole = await readBody(body, MAX_SMALL_BODY_BYTES);
      body = (async function* () { if (whole.length > 0) yield whole; })();
    }
    const ctx: OpContext = {
      op, requestId, method, bucket, key, query, headers, req, body, principal, svc,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      readBody: (limit = MAX_SMALL_BODY_BYTES) => readBody(body, limit),
      authorize: (subOp, versionId) => deps.access.check({
        op: subOp, principal: principal!, bucket, headers, query: new URLSearchParams(versionId !== undefined ? { versionId } : {}),
      }),
    };
    const result = await r.handler(ctx);
    if (fault === 'drop-after') {
      // The operation took effect; the client never hears of it (drain the body so nothing is left half-read).
      finish(result.status);
      const body = result.body;
      if (body && typeof body !== 'string' && !Buffer.isBuffer(body)) (body as NodeJS.ReadableStream).resume();
      req.socket.destroy();
      return;
    }
    await send(res, req, method, requestId, result);
    finish(result.status);
  } catch (raw) {
    const err = toOssError(raw);
    if (fault === 'drop-after') {
      finish(err.status, err.code);
      req.socket.destroy();
      return;
    }
    const out = renderError(err, { requestId, method, bucket, region: svc.region });
    if (badFraming) out.headers = { ...out.headers, connection: 'close' };
    if (!res.headersSent) {
      await send(res, req, method, requestId, out);
    } else {
      res.destroy();
    }
    finish(err.status, err.code);
  }
}

function send(res: ServerResponse, req: IncomingMessage, method: string, requestId: string, result: OpResult): Promise<void> {
  res.statusCode = result.status;
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('date', new Date().toUTCString());
  res.setHeader('server', 'AliyunOSS');
  // Content-Disposition before Content-Length, and headers before the body: Node re-reads a Content-Disposition
  // value as UTF-8 once it knows a content length (_http_outgoing.js processHeader, nodejs/node#46528), which turns
  // stored bytes that are not UTF-8 into U+FFFD. OSS returns them as stored.
  const entries = Object.entries(result.headers ?? {}).sort(([a], [b]) => Number(b === 'content-disposition') - Number(a === 'content-disposition'));
  for (const [k, v] of entries) if (v !== undefined) res.setHeader(k, String(v));
  const body = result.body;
  // Whatever the operation did not read (an error before the upload was consumed) must be drained, or a
  // keep-alive client would hang writing into a socket nobody reads.
  const drain = () => { if (!req.readableEnded) req.resume(); };
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    if (method !== 'HEAD' || !res.hasHeader('content-length')) res.setHeader('content-length', buf.length);
    res.writeHead(result.status);
    drain();
    return new Promise((resolve) => res.end(method === 'HEAD' ? undefined : buf, () => resolve()));
  }
  drain();
  return new Promise((resolve, reject) => {
    const stream = body as NodeJS.ReadableStream;
    stream.on('error', (err) => { res.destroy(err); reject(err); });
    res.on('finish', () => resolve());
    res.on('close', () => {
      // The client went away mid-body: release the blob reader (an open file in --data-dir mode).
      if (!res.writableFinished) (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve();
    });
    stream.pipe(res);
  });
}
