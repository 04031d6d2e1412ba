/**
 * A small local Function Compute endpoint for tests: it accepts InvokeFunction exactly as
 * @alicloud/fc2 2.6.6 sends it and answers the way FC does, so the invoker is tested over HTTP
 * with real signatures instead of a mocked SDK.
 *
 * Checked per request (node_modules/@alicloud/fc2/lib/client.js request(), lib/helper.js):
 * - path: POST /2016-08-15/services/<svc>[.<qualifier>]/functions/<fn>/invocations (FC 2.0)
 *   or POST /2023-03-30/functions/<fn>/invocations[?qualifier=q] (FC 3.0, fc3's client.version trick);
 * - headers: date (±15 min), x-fc-account-id = our account, content-md5 = base64(hex md5(body));
 * - authorization: `FC <ak>:base64(hmac-sha256(secret, METHOD\nMD5\nTYPE\nDATE\n<x-fc-* sorted>PATH))`.
 * Answers: sync → 200 + handler result, `x-fc-log-result` (base64 log tail) on `x-fc-log-type: Tail`;
 * handler error → still 200, `x-fc-error-type: UnhandledInvocationError`, body {errorMessage,errorType,stackTrace};
 * async (`x-fc-invocation-type: Async`) → 202 at once, handler run in the background with FC's
 * default 3 retries on error (function-compute.md §2). Auth/path failures → FC's JSON error, non-2xx.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveAdmin, type LocalFcFunctionRecord } from './local-fc-admin';

export interface LocalFcContext {
  requestId: string;
  region: string;
  accountId: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { name?: string; qualifier: string; logProject: string; logStore: string };
  /** Lines written here end up in this invocation's log tail. */
  logger: { debug(msg: string): void; info(msg: string): void; warn(msg: string): void; error(msg: string): void; log(msg: string): void };
}

export interface LocalFcInvocation {
  path: string;
  apiVersion: '2016-08-15' | '2023-03-30';
  service?: string;
  qualifier?: string;
  functionName: string;
  async: boolean;
  event: Buffer;
  requestId: string;
}

export interface LocalFcAsyncOutcome { requestId: string; attempts: number; ok: boolean; result?: unknown; error?: string }

export interface LocalFcOptions {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests must carry it in `x-fc-security-token`. */
  securityToken?: string;
  region?: string;
  /** Credentials handed to the function as context.credentials (its role), e.g. oss.issueStsCredentials(). */
  credentials?: () => LocalFcContext['credentials'];
  /** Only these function names exist; others get 404 FunctionNotFound. Default: any name. */
  functions?: string[];
  /** Async retries after the first failed attempt (FC default 3). */
  maxAsyncRetryAttempts?: number;
  handler: (event: Buffer, context: LocalFcContext) => Promise<unknown>;
  /** Answers GetFunction / ListTriggers / GetAsyncInvokeConfig (FC 3.0) from these records (local-fc-admin.ts). */
  admin?: Record<string, LocalFcFunctionRecord>;
}

export interface LocalFc {
  endpoint: string;
  invocations: LocalFcInvocation[];
  asyncOutcomes: LocalFcAsyncOutcome[];
  /** A pino-compatible destination (`{ write }`): lines go to the log tail of the invocation writing them. */
  logStream: { write(chunk: string): void };
  /** Resolves when every accepted async invocation has finished (including retries). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const FC2_PATH = /^\/2016-08-15\/services\/([^/.]+)(?:\.([^/]+))?\/functions\/([^/]+)\/invocations$/;
const FC3_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
const LOG_TAIL_BYTES = 4096;
const MAX_SKEW_MS = 15 * 60 * 1000;

class FcHttpError extends Error {
  constructor(readonly status: number, readonly fcCode: string, message: string) { super(message); }
}

export async function startLocalFc(opts: LocalFcOptions): Promise<LocalFc> {
  const region = opts.region ?? 'cn-hangzhou';
  const invocations: LocalFcInvocation[] = [];
  const asyncOutcomes: LocalFcAsyncOutcome[] = [];
  const pending = new Set<Promise<void>>();
  const logs = new AsyncLocalStorage<string[]>();

  const logStream = {
    write(chunk: string): void {
      logs.getStore()?.push(chunk.endsWith('\n') ? chunk : chunk + '\n');
    },
  };

  async function run(inv: LocalFcInvocation): Promise<{ ok: true; result: unknown; log: string } | { ok: false; error: Error; log: string }> {
    const lines: string[] = [`FC Invoke Start RequestId: ${inv.requestId}\n`];
    const line = (level: string) => (msg: string) => logStream.write(`${new Date().toISOString()} ${inv.requestId} [${level}] ${msg}`);
    const context: LocalFcContext = {
      requestId: inv.requestId,
      region,
      accountId: opts.accountId,
      credentials: opts.credentials?.(),
      function: { name: inv.functionName, handler: 'index.handler', memory: 512, timeout: 120 },
      service: { ...(inv.service ? { name: inv.service } : {}), qualifier: inv.qualifier ?? 'LATEST', logProject: '', logStore: '' },
      logger: { debug: line('DEBUG'), info: line('INFO'), warn: line('WARN'), error: line('ERROR'), log: line('INFO') },
    };
    return logs.run(lines, async () => {
      try {
        const result = await opts.handler(inv.event, context);
        lines.push(`FC Invoke End RequestId: ${inv.requestId}\n`);
        return { ok: true as const, result, log: lines.join('') };
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        lines.push(`${new Date().toISOString()} ${inv.requestId} [ERROR] ${error.name}: ${error.message}\n`, `FC Invoke End RequestId: ${inv.requestId}\n`);
        return { ok: false as const, error, log: lines.join('') };
      }
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://local-fc');
    if (req.method === 'GET' && opts.admin) {
      authenticate(req, url.pathname, body, opts);
      const a = serveAdmin(url.pathname, opts.admin);
      if ('error' in a) throw new FcHttpError(a.status, a.error, a.message);
      const payload = JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': 'application/json', 'x-fc-request-id': fcRequestId(), 'content-length': Buffer.byteLength(payload) }).end(payload);
      return;
    }
    const inv = route(req, url, body);
    authenticate(req, url.pathname, body, opts);
    if (opts.functions && !opts.functions.includes(inv.functionName)) {
      throw new FcHttpError(404, 'FunctionNotFound', `function '${inv.functionName}' does not exist`);
    }
    invocations.push(inv);

    if (inv.async) {
      const job = runAsync(inv).finally(() => pending.delete(job));
      pending.add(job);
      res.writeHead(202, { 'x-fc-request-id': inv.requestId, 'content-length': '0' }).end();
      return;
    }
    const outcome = await run(inv);
    const headers: Record<string, string> = { 'x-fc-request-id': inv.requestId };
    if (header(req, 'x-fc-log-type') === 'Tail') headers['x-fc-log-result'] = tail(outcome.log);
    let payload: Buffer;
    if (outcome.ok) {
      payload = Buffer.isBuffer(outcome.result) ? outcome.result
        : typeof outcome.result === 'string' ? Buffer.from(outcome.result)
          : Buffer.from(outcome.result === undefined ? '' : JSON.stringify(outcome.result));
      headers['content-type'] = 'application/octet-stream';
    } else {
      headers['x-fc-error-type'] = 'UnhandledInvocationError';
      headers['content-type'] = 'application/json';
      payload = Buffer.from(JSON.stringify({
        errorMessage: outcome.error.message,
        errorType: outcome.error.name,
        stackTrace: (outcome.error.stack ?? '').split('\n').slice(1).map((s) => s.trim()),
      }));
    }
    headers['content-length'] = String(payload.length);
    res.writeHead(200, headers).end(payload);
  }

  async function runAsync(inv: LocalFcInvocation): Promise<void> {
    const maxAttempts = 1 + (opts.maxAsyncRetryAttempts ?? 3);
    let attempts = 0;
    for (;;) {
      attempts++;
      const outcome = await run(inv);
      if (outcome.ok || attempts >= maxAttempts) {
        asyncOutcomes.push({ requestId: inv.requestId, attempts, ok: outcome.ok, ...(outcome.ok ? { result: outcome.result } : { error: outcome.error.message }) });
        return;
      }
    }
  }

  function route(req: IncomingMessage, url: URL, body: Buffer): LocalFcInvocation {
    const method = req.method ?? '';
    const base = { path: url.pathname + url.search, event: body, requestId: fcRequestId() };
    const async = header(req, 'x-fc-invocation-type') === 'Async';
    let m = FC2_PATH.exec(url.pathname);
    if (method === 'POST' && m) {
      return { ...base, async, apiVersion: '2016-08-15', service: m[1], ...(m[2] ? { qualifier: m[2] } : {}), functionName: decodeURIComponent(m[3]!) };
    }
    m = FC3_PATH.exec(url.pathname);
    if (method === 'POST' && m) {
      const qualifier = url.searchParams.get('qualifier');
      return { ...base, async, apiVersion: '2023-03-30', ...(qualifier ? { qualifier } : {}), functionName: decodeURIComponent(m[1]!) };
    }
    throw new FcHttpError(404, 'PathNotFound', `${method} ${url.pathname} is not an InvokeFunction path of API 2016-08-15 or 2023-03-30`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof FcHttpError ? err : new FcHttpError(500, 'InternalServerError', String(err));
      const payload = JSON.stringify({ ErrorCode: e.fcCode, ErrorMessage: e.message });
      if (!res.headersSent) {
        res.writeHead(e.status, { 'content-type': 'application/json', 'x-fc-request-id': fcRequestId(), 'content-length': Buffer.byteLength(payload) });
      }
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    asyncOutcomes,
    logStream,
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    async close() {
      while (pending.size) await Promise.allSettled([...pending]);
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

function authenticate(req: IncomingMessage, path: string, body: Buffer, opts: LocalFcOptions): void {
  const date = header(req, 'date');
  if (!date || Number.isNaN(Date.parse(date))) throw new FcHttpError(400, 'MissingRequiredHeader', 'the Date header is missing or not an HTTP date');
  if (Math.abs(Date.now() - Date.parse(date)) > MAX_SKEW_MS) throw new FcHttpError(403, 'RequestTimeTooSkewed', `request date ${date} is more than 15 minutes from server time`);
  if (header(req, 'x-fc-account-id') !== opts.accountId) {
    throw new FcHttpError(403, 'AccountIDMismatch', `x-fc-account-id "${header(req, 'x-fc-account-id') ?? ''}" is not this endpoint's account ${opts.accountId}`);
  }
  if (body.length) {
    const md5 = Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64');
    if (header(req, 'content-md5') !== md5) throw new FcHttpError(400, 'InvalidContentMD5', 'content-md5 does not match the body');
  }
  if (opts.securityToken !== undefined && header(req, 'x-fc-security-token') !== opts.securityToken) {
    throw new FcHttpError(403, 'InvalidSecurityToken', 'the x-fc-security-token header is missing or wrong');
  }
  const auth = header(req, 'authorization') ?? '';
  const m = /^FC ([^:]+):(.+)$/.exec(auth);
  if (!m) throw new FcHttpError(401, 'MissingAuthorization', 'the Authorization header must be "FC <accessKeyId>:<signature>"');
  if (m[1] !== opts.accessKeyId) throw new FcHttpError(403, 'InvalidAccessKeyID', `access key id ${m[1]} does not exist`);
  const expected = signature(opts.accessKeySecret, req.method ?? '', decodeURIComponent(path), req.headers);
  const got = Buffer.from(m[2]!);
  const want = Buffer.from(expected);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new FcHttpError(403, 'SignatureNotMatch', 'the request signature we calculated does not match the signature you provided');
  }
}

/** helper.js composeStringToSign + client.js signString, re-implemented from the server's side. */
export function signature(secret: string, method: string, path: string, headers: IncomingMessage['headers']): string {
  const fcHeaders = Object.keys(headers).filter((k) => k.startsWith('x-fc-')).sort()
    .map((k) => `${k}:${String(headers[k])}\n`).join('');
  const stringToSign = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers['date'] ?? ''}\n${fcHeaders}${path}`;
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function tail(log: string): string {
  const buf = Buffer.from(log, 'utf8');
  return buf.subarray(Math.max(0, buf.length - LOG_TAIL_BYTES)).toString('base64');
}

/** FC 3.0 request ids look like 1-65e571bc-158a59e8-b63f98cd471c, not UUIDs (function-compute.md §1). */
function fcRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(4).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
